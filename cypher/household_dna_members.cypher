// Group DNA: the current members of the households in $ids, with their birth dates and the
// Customer DNA churn risk (dna_churnRisk) when the metrics have computed one.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(p:Profile)
WHERE m.status = 'current'
RETURN hid AS householdId, p.profileId AS profileId, p.dateOfBirth AS dateOfBirth,
       p.dna_churnRisk AS churnRisk
