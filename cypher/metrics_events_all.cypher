// Metrics (preferences): the interactions of these types ($types) of every active profile,
// one row each, since $since (exclusive; null for all time) up to $until. Filters after the
// MATCH, as in metrics_aggregate_all.
MATCH (p:Profile)<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.type IN $types AND i.ts <= $until
  AND ($since IS NULL OR i.ts > $since)
RETURN p.profileId AS profileId, i.type AS type, i.channel AS channel, i.source AS source,
       i.ts AS ts, i.occurredAt AS occurredAt
