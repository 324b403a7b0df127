// Metrics: metrics_aggregate_all for the profiles with these keys ($ids) only.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.ts <= $until
  AND ($minValue IS NULL OR i.value >= $minValue) AND ($maxValue IS NULL OR i.value <= $maxValue)
WITH p.profileId AS profileId, i, size([s IN $sinces WHERE i.ts > s]) AS band
RETURN profileId, band, i.type AS type, i.channel AS channel, i.source AS source,
       count(i) AS n, count(i.value) AS nv, sum(i.value) AS total,
       min(i.value) AS lo, max(i.value) AS hi
