// Group DNA: the current members of the households in $ids, with what their records hold
// (devices, accounts) and their spend (interactions of the types in $spendTypes).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(p:Profile)
WHERE m.status = 'current'
RETURN hid AS householdId, p.profileId AS profileId, p.dateOfBirth AS dateOfBirth,
       properties(p) AS props,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:USES_DEVICE]->(d:Device) | d.deviceId] AS devices,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:HOLDS]->(a:Account) | a.accountId] AS accounts,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
        WHERE i.type IN $spendTypes | i.value] AS spend
