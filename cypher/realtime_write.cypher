// The real-time path's record write (after the candidate and component reads): the record
// with its properties, blocking keys, sparse flag and their digest ($rows.props, where a null
// removes, e.g. stub; the keys' names registered as batch.py does), identifier edges it no longer carries dropped, identifier nodes linked; and
// its scored MATCHES edges (stored from the smaller customerId to the larger; a steward's
// status survives). Its placement in a profile is written next (placement.py). A new
// Address starts with the record's values; refresh_addresses then chooses them from every
// record living there (app/ingestion/addresses.py).
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
SET c += row.props
FOREACH (k IN row.blockingKeys | MERGE (:BlockingKey {name: k}))
WITH c, row,
     [(c)-[r:HAS_EMAIL|HAS_PHONE|LIVES_AT|USES_DEVICE|HOLDS|HAS_IDENTIFIER]->(x)
      WHERE NOT ((labels(x)[0] + ':' + coalesce(x.email, x.phone, x.addressId, x.deviceId,
                                                  x.accountId, x.identifierId))
                 IN row.identifierKeys) | r] AS stale
FOREACH (r IN stale | DELETE r)
FOREACH (e IN row.emails | MERGE (n:Email {email: e}) MERGE (c)-[:HAS_EMAIL]->(n))
FOREACH (p IN row.phones | MERGE (n:Phone {phone: p}) MERGE (c)-[:HAS_PHONE]->(n))
FOREACH (a IN row.addresses |
  MERGE (n:Address {addressId: a.addressId})
  ON CREATE SET n += a.props
  MERGE (c)-[:LIVES_AT]->(n))
FOREACH (d IN row.devices |
  MERGE (n:Device {deviceId: d.deviceId})
  MERGE (c)-[u:USES_DEVICE]->(n)
  SET u.firstSeen = d.seen, u.lastSeen = d.seen)
FOREACH (a IN row.accounts |
  MERGE (n:Account {accountId: a.accountId})
  MERGE (c)-[h:HOLDS]->(n)
  SET h.role = a.role)
FOREACH (i IN row.identifiers |
  MERGE (n:Identifier {identifierId: i.identifierId})
  ON CREATE SET n.type = i.type, n.value = i.value
  MERGE (c)-[:HAS_IDENTIFIER]->(n))
WITH row
UNWIND row.matches AS pair
MATCH (a:Customer {customerId: pair.a})
MATCH (b:Customer {customerId: pair.b})
MERGE (a)-[m:MATCHES]->(b)
ON CREATE SET m.status = 'auto', m.method = 'model'
SET m.probability = pair.probability, m.logit = pair.logit, m.explanation = pair.explanation,
    m.modelVersion = pair.modelVersion, m.runId = pair.runId, m.updatedAt = pair.updatedAt
