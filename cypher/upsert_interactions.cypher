// An interaction may arrive before its customer's record: the customer is created as a
// stub (only its key) and filled in when the record is loaded. An event ID belongs to one
// performer: a row naming another customer for an event that already has one changes
// nothing (ingestion and the API refuse such a row first, with the reason; this guards the
// race between two writers).
UNWIND $rows AS row
WITH row, [(o:Customer)-[:PERFORMED]->(:Interaction {interactionId: row.interactionId})
           WHERE o.customerId <> row.customerId | o.customerId] AS others
WHERE size(others) = 0
MERGE (c:Customer {customerId: row.customerId})
ON CREATE SET c.source = row.source, c.sourceKey = row.customerKey, c.stub = true
MERGE (i:Interaction {interactionId: row.interactionId})
SET i += row.props
MERGE (c)-[:PERFORMED]->(i)
