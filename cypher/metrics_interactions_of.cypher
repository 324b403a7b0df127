// Metrics: the interactions up to $until of the profiles with these keys ($ids), one row per
// profile with a list of [type, channel, source, ts, value] (what an event recomputes; a
// batch reads metrics_interactions_packed). Filters after the MATCH, as there.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WITH p, i
WHERE p.status = 'active' AND i.ts <= $until
RETURN p.profileId AS profileId,
       collect([i.type, i.channel, i.source, i.ts, i.value]) AS events
