// Records the graph does not have yet (customers_existing): the node and every identifier
// edge in one statement, the edges with CREATE since a new record has none. The shared
// identifier nodes are still MERGEd. Ends in the graph upsert_customers and the link_*
// queries would make (tests/ingestion/test_fresh.py). A row has email, phone, addressId
// (with address), deviceId (with seen), accountId (with role) and identifiers only where
// the record has them; a missing key reads as null.
UNWIND $rows AS row
CREATE (c:Customer {customerId: row.customerId})
SET c += row.props
FOREACH (x IN CASE WHEN row.email IS NULL THEN [] ELSE [row.email] END |
  MERGE (e:Email {email: x})
  CREATE (c)-[:HAS_EMAIL]->(e))
FOREACH (x IN CASE WHEN row.phone IS NULL THEN [] ELSE [row.phone] END |
  MERGE (p:Phone {phone: x})
  CREATE (c)-[:HAS_PHONE]->(p))
FOREACH (x IN CASE WHEN row.addressId IS NULL THEN [] ELSE [row.addressId] END |
  MERGE (a:Address {addressId: x})
  ON CREATE SET a += row.address
  CREATE (c)-[:LIVES_AT]->(a))
FOREACH (x IN CASE WHEN row.deviceId IS NULL THEN [] ELSE [row.deviceId] END |
  MERGE (d:Device {deviceId: x})
  CREATE (c)-[u:USES_DEVICE]->(d)
  SET u.firstSeen = row.seen, u.lastSeen = row.seen)
FOREACH (x IN CASE WHEN row.accountId IS NULL THEN [] ELSE [row.accountId] END |
  MERGE (h:Account {accountId: x})
  CREATE (c)-[r:HOLDS]->(h)
  SET r.role = row.role)
FOREACH (x IN coalesce(row.identifiers, []) |
  MERGE (i:Identifier {identifierId: x.identifierId})
  ON CREATE SET i.type = x.type, i.value = x.value
  CREATE (c)-[:HAS_IDENTIFIER]->(i))
