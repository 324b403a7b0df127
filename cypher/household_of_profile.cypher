// Households: the current household of each profile in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN pid AS profileId, h.householdId AS householdId
