// Group DNA: data usage on the accounts the current members of the households in $ids hold,
// in MB per (month, channel), with each account's plan allowance when it has one.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(:Profile)<-[:RESOLVES_TO]-(:Customer)
      -[:HOLDS]->(a:Account)
WHERE m.status = 'current'
WITH DISTINCT hid, a
OPTIONAL MATCH (a)<-[:ON]-(i:Interaction)
WHERE i.type = 'data_usage'
WITH hid, a, substring(i.occurredAt, 0, 7) AS month, i.channel AS channel,
     sum(coalesce(i.value, 0.0)) AS mb
RETURN hid AS householdId, a.accountId AS accountId, a.planMb AS planMb,
       collect([month, mb, channel]) AS usage
