// The real-time path's one write (after the candidate and context reads): the record with its
// properties and blocking keys ($rows.props, where a null removes: stub), identifier edges it
// no longer carries dropped, identifier nodes linked; then its profile (created or updated
// with golden attributes), the record moved into it, and its scored MATCHES edges (stored
// from the smaller customerId to the larger; a steward's status survives).
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
SET c += row.props
WITH c, row,
     [(c)-[r:HAS_EMAIL|HAS_PHONE|LIVES_AT|USES_DEVICE|HOLDS]->(x)
      WHERE NOT ((labels(x)[0] + ':' + coalesce(x.email, x.phone, x.addressId, x.deviceId,
                                                  x.accountId)) IN row.identifierKeys) | r] AS stale
FOREACH (r IN stale | DELETE r)
FOREACH (e IN row.emails | MERGE (n:Email {email: e}) MERGE (c)-[:HAS_EMAIL]->(n))
FOREACH (p IN row.phones | MERGE (n:Phone {phone: p}) MERGE (c)-[:HAS_PHONE]->(n))
FOREACH (a IN row.addresses |
  MERGE (n:Address {addressId: a.addressId})
  SET n += a.props
  MERGE (c)-[:LIVES_AT]->(n))
FOREACH (d IN row.devices |
  MERGE (n:Device {deviceId: d.deviceId})
  MERGE (c)-[u:USES_DEVICE]->(n)
  SET u.firstSeen = d.seen, u.lastSeen = d.seen)
FOREACH (a IN row.accounts |
  MERGE (n:Account {accountId: a.accountId})
  MERGE (c)-[h:HOLDS]->(n)
  SET h.role = a.role)
WITH c, row
MERGE (p:Profile {profileId: row.profileId})
ON CREATE SET p.createdAt = row.at
SET p += row.profile, p.status = 'active', p.updatedAt = row.at
REMOVE p.mergedInto
WITH c, p, row,
     [(c)-[r:RESOLVES_TO]->(o:Profile) WHERE o.profileId <> row.profileId | r] AS old
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
