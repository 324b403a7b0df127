// API: the current household ID of each profile in $ids.
UNWIND $ids AS pid
MATCH (:Profile {profileId: pid})-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN pid AS profileId, h.householdId AS householdId
