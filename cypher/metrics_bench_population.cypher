// bench/metrics.py only: writes a synthetic resolved population straight into an empty graph
// (profiles, their member records, their interactions), much faster than load + resolve.
UNWIND $rows AS row
CREATE (p:Profile {profileId: row.profileId, status: 'active', size: size(row.customers)})
WITH p, row
UNWIND row.customers AS c
CREATE (cu:Customer {customerId: c.customerId, source: c.source, sourceKey: c.key,
                     email: c.email, city: c.city, updatedAt: c.updatedAt})
CREATE (cu)-[:RESOLVES_TO {confidence: 1.0}]->(p)
WITH cu, c
UNWIND c.events AS e
CREATE (cu)-[:PERFORMED]->(:Interaction {interactionId: e.id, source: c.source, type: e.type,
        channel: e.channel, occurredAt: e.occurredAt, ts: e.ts, value: e.value})
