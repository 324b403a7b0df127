// For the records a new record matched: their profiles, and any steward decision between
// them and the new record ($me).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
OPTIONAL MATCH (c)-[:RESOLVES_TO]->(p:Profile)
OPTIONAL MATCH (c)-[m:MATCHES]-(:Customer {customerId: $me})
RETURN c.customerId AS customerId, p.profileId AS profileId, p.size AS size,
       m.status AS status
