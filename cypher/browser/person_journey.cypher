// A person's journey: every interaction of a profile's records across sources and channels
// :param profileId => 'PR-...'
MATCH (p:Profile {profileId: $profileId})<-[:RESOLVES_TO]-(c:Customer)-[e:PERFORMED]->(i:Interaction)
RETURN p, c, e, i,
       i.occurredAt AS at, c.source AS source, i.channel AS channel, i.type AS type,
       i.value AS value
ORDER BY i.ts, i.interactionId
LIMIT 200
