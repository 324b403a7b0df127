// Profile 360: the household the profile belongs to now and its role there.
MATCH (:Profile {profileId: $profileId})-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN h.householdId AS householdId, m.role AS role, m.reason AS reason
LIMIT 1
