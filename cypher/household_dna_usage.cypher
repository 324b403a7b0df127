// Group DNA: data usage on the accounts the current members of the households in $ids hold,
// as (month, MB, channel) per event, with the account's plan allowance when it has one.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(:Profile)<-[:RESOLVES_TO]-(:Customer)
      -[:HOLDS]->(a:Account)
WHERE m.status = 'current'
WITH DISTINCT hid, a
RETURN hid AS householdId, a.accountId AS accountId, a.planMb AS planMb,
       [(a)<-[:ON]-(i:Interaction) WHERE i.type = 'data_usage'
        | [substring(i.occurredAt, 0, 7), i.value, i.channel]] AS usage
