// Events the graph does not have yet (interactions_existing): the node, its PERFORMED edge
// and its device and account edges in one statement, with CREATE. The performer is MERGEd
// (a stub when its record has not been loaded), as in upsert_interactions, whose graph this
// ends in (tests/ingestion/test_fresh.py). deviceId and accountId are in a row only where
// the event has them; a missing key reads as null.
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
ON CREATE SET c.source = row.source, c.sourceKey = row.customerKey, c.stub = true
CREATE (c)-[:PERFORMED]->(i:Interaction {interactionId: row.interactionId})
SET i += row.props
FOREACH (x IN CASE WHEN row.deviceId IS NULL THEN [] ELSE [row.deviceId] END |
  MERGE (d:Device {deviceId: x})
  CREATE (i)-[:VIA]->(d))
FOREACH (x IN CASE WHEN row.accountId IS NULL THEN [] ELSE [row.accountId] END |
  MERGE (a:Account {accountId: x})
  CREATE (i)-[:ON]->(a))
