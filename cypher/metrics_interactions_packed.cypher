// Metrics: the interactions up to $until (epoch ms) of the active profiles with these keys
// ($ids: a batch reads every active profile a page at a time, so that the server holds one
// page's answer, not the whole graph's), packed as numbers, one row per profile with three
// parallel lists: codes (type, channel and source numbered by the $types / $channels /
// $sources maps, 0 for none, times $typeMul / $channelMul / 2, plus 1 when the interaction
// has a value), times and values (0 where none). Every aggregate window and preference is
// folded from this one pass (app/metrics/columnar.py). The filters sit in a WITH after the
// MATCH: in the MATCH's WHERE, FalkorDB plans from the Interaction side and scans (measured
// 1000x slower).
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.ts <= $until
WITH p.profileId AS key,
     collect(coalesce($types[i.type], 0) * $typeMul + coalesce($channels[i.channel], 0) * $channelMul
             + coalesce($sources[i.source], 0) * 2
             + CASE WHEN i.value IS NULL THEN 0 ELSE 1 END) AS codes,
     collect(i.ts) AS ts,
     collect(coalesce(i.value, 0.0)) AS vals
RETURN key, codes, ts, vals
