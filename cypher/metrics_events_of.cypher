// Metrics: metrics_events_all for the profiles with these keys ($ids) only.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.type IN $types AND i.ts <= $until
  AND ($since IS NULL OR i.ts > $since)
RETURN p.profileId AS profileId, i.type AS type, i.channel AS channel, i.source AS source,
       i.ts AS ts, i.occurredAt AS occurredAt
