// Group DNA: what the current members of the households in $ids spent (interactions of the
// types in $spendTypes). The WITH keeps FalkorDB walking out from the households (without
// it, it plans from every Interaction: a thousand times slower).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(:Profile)<-[:RESOLVES_TO]-(c:Customer)
WHERE m.status = 'current'
WITH hid, c
MATCH (c)-[:PERFORMED]->(i:Interaction)
WHERE i.type IN $spendTypes
RETURN hid AS householdId, sum(coalesce(i.value, 0.0)) AS spend
