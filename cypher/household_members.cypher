// API: every membership of the households in $ids, current and ended (history).
UNWIND $ids AS hid
MATCH (p:Profile)-[m:MEMBER_OF]->(h:Household {householdId: hid})
RETURN hid AS householdId, p.profileId AS profileId, properties(m) AS membership
ORDER BY householdId, m.status, profileId
