// One record in one round trip (the real-time path): properties and blocking keys,
// identifier edges the record no longer carries dropped, identifier nodes linked.
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
SET c += row.props
SET c += row.keys
REMOVE c.stub
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
