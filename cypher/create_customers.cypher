// Records the graph does not have yet (customers_existing): the node and every identifier
// edge in one statement, the edges with CREATE since a new record has none. The shared
// identifier nodes are still MERGEd. Ends in the graph upsert_customers and the link_*
// queries would make (tests/ingestion/test_fresh.py); each list holds 0 or 1 item, but
// identifiers one per declared type.
UNWIND $rows AS row
CREATE (c:Customer {customerId: row.customerId})
SET c += row.props
FOREACH (x IN row.emails | MERGE (e:Email {email: x}) CREATE (c)-[:HAS_EMAIL]->(e))
FOREACH (x IN row.phones | MERGE (p:Phone {phone: x}) CREATE (c)-[:HAS_PHONE]->(p))
FOREACH (x IN row.addresses |
  MERGE (a:Address {addressId: x.addressId})
  ON CREATE SET a += x.props
  CREATE (c)-[:LIVES_AT]->(a))
FOREACH (x IN row.devices |
  MERGE (d:Device {deviceId: x.deviceId})
  CREATE (c)-[u:USES_DEVICE]->(d)
  SET u.firstSeen = x.seen, u.lastSeen = x.seen)
FOREACH (x IN row.accounts |
  MERGE (h:Account {accountId: x.accountId})
  CREATE (c)-[r:HOLDS]->(h)
  SET r.role = x.role)
FOREACH (x IN row.identifiers |
  MERGE (i:Identifier {identifierId: x.identifierId})
  ON CREATE SET i.type = x.type, i.value = x.value
  CREATE (c)-[:HAS_IDENTIFIER]->(i))
