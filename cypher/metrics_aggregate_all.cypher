// Metrics: the interactions of every active profile up to $until (epoch ms), aggregated per
// profile, (type, channel, source) and band: how many of the window starts $sinces (epoch
// ms, exclusive) the interaction lies after. Python folds bands and keys into each aggregate
// metric, so one pass serves every window. The filters sit in a WITH after the MATCH: in the
// MATCH's WHERE, FalkorDB plans from the Interaction side and scans (measured 1000x slower).
MATCH (p:Profile)<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.ts <= $until
  AND ($minValue IS NULL OR i.value >= $minValue) AND ($maxValue IS NULL OR i.value <= $maxValue)
WITH p.profileId AS profileId, i, size([s IN $sinces WHERE i.ts > s]) AS band
RETURN profileId, band, i.type AS type, i.channel AS channel, i.source AS source,
       count(i) AS n, count(i.value) AS nv, sum(i.value) AS total,
       min(i.value) AS lo, max(i.value) AS hi
