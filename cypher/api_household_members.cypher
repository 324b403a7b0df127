// API: every membership of the households in $ids, current and ended (history), with the
// member's whole profile (what api_profiles reads), so that a query asking for the members'
// profiles reads them here, not in a second round trip.
UNWIND $ids AS hid
MATCH (p:Profile)-[m:MEMBER_OF]->(h:Household {householdId: hid})
RETURN hid AS householdId, p.profileId AS profileId, properties(m) AS membership,
       properties(p) AS profile
ORDER BY householdId, m.status, profileId
