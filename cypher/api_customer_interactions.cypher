// API: one page of interactions for each customer in $ids, newest first, keyset-paginated on
// (ts, interactionId) after ($afterTs, $afterId). The caller asks for $limit = page size + 1
// to learn whether another page follows. A LIMIT per customer would need a subquery, and
// FalkorDB's LIMIT takes neither null nor an expression, so each list is collected and sliced.
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[:PERFORMED]->(i:Interaction)
WITH cid, i, coalesce(i.ts, 0) AS ts
WHERE $afterTs IS NULL OR ts < $afterTs OR (ts = $afterTs AND i.interactionId < $afterId)
WITH cid, i, ts
ORDER BY ts DESC, i.interactionId DESC
WITH cid, collect(i)[..$limit] AS page
UNWIND page AS i
RETURN cid AS customerId,
       i.interactionId AS interactionId,
       coalesce(i.ts, 0) AS ts,
       i.type AS type,
       i.channel AS channel,
       i.occurredAt AS occurredAt,
       i.value AS value,
       head([(i)-[:VIA]->(d:Device) | d.deviceId]) AS deviceId,
       head([(i)-[:ON]->(a:Account) | a.accountId]) AS accountId
