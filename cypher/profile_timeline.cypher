// Profile 360: one timeline of the interactions of every record in $ids, newest first, with
// the count of all that pass the filters ($types, $channels: lists or null; $since, $until:
// epoch ms or null, until exclusive) and the page after ($afterTs, $afterId), $limit rows.
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})-[:PERFORMED]->(i:Interaction)
WITH c, i, coalesce(i.ts, 0) AS ts
WHERE ($types IS NULL OR i.type IN $types)
  AND ($channels IS NULL OR i.channel IN $channels)
  AND ($since IS NULL OR ts >= $since)
  AND ($until IS NULL OR ts < $until)
WITH c, i, ts
ORDER BY ts DESC, i.interactionId DESC
WITH collect({customerId: c.customerId, source: c.source, interactionId: i.interactionId,
              ts: ts, type: i.type, channel: i.channel, occurredAt: i.occurredAt,
              value: i.value}) AS rows
RETURN size(rows) AS total,
       [r IN rows WHERE $afterTs IS NULL OR r.ts < $afterTs
                        OR (r.ts = $afterTs AND r.interactionId < $afterId)][..$limit] AS page
