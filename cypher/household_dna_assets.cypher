// Group DNA: distinct devices and accounts the records of the current members of the
// households in $ids use or hold.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})<-[m:MEMBER_OF]-(:Profile)<-[:RESOLVES_TO]-(:Customer)
      -[:USES_DEVICE|HOLDS]->(x)
WHERE m.status = 'current'
RETURN hid AS householdId, labels(x)[0] AS label, count(DISTINCT x) AS n
