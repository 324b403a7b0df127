// The real-time path's one write after scoring: the record's profile (created or updated
// with its golden attributes), the record moved into it, and its scored MATCHES edges
// (stored from the smaller customerId to the larger; a steward's status survives).
UNWIND $rows AS row
MERGE (p:Profile {profileId: row.profileId})
ON CREATE SET p.createdAt = row.at
SET p += row.props, p.status = 'active', p.updatedAt = row.at
REMOVE p.mergedInto
WITH p, row
MATCH (c:Customer {customerId: row.customerId})
WITH c, p, row, [(c)-[r:RESOLVES_TO]->(o:Profile) WHERE o.profileId <> row.profileId | r] AS old
FOREACH (r IN old | DELETE r)
MERGE (c)-[r:RESOLVES_TO]->(p)
SET r.confidence = row.confidence
WITH row
UNWIND row.matches AS pair
MATCH (a:Customer {customerId: pair.a})
MATCH (b:Customer {customerId: pair.b})
MERGE (a)-[m:MATCHES]->(b)
ON CREATE SET m.status = 'auto', m.method = 'dedupe'
SET m.probability = pair.probability, m.explanation = pair.explanation,
    m.modelVersion = pair.modelVersion, m.runId = pair.runId, m.updatedAt = pair.updatedAt
