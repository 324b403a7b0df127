// Households: household_current_links for the profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN p.profileId AS profileId, h.householdId AS householdId, m.role AS role,
       m.reason AS reason, m.evidence AS evidence, m.confidence AS confidence
