// An interaction may arrive before its customer's record: the customer is created as a
// stub (only its key) and filled in when the record is loaded.
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
ON CREATE SET c.source = row.source, c.sourceKey = row.customerKey, c.stub = true
MERGE (i:Interaction {interactionId: row.interactionId})
SET i += row.props
MERGE (c)-[:PERFORMED]->(i)
