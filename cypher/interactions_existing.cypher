// Which of these events the graph has already ($ids: interactionIds), with who performed
// each: the loader refuses a row naming another performer (an event ID belongs to one) and
// writes the events not found with create_interactions (app/ingestion/fresh.py).
UNWIND $ids AS id
MATCH (i:Interaction {interactionId: id})
OPTIONAL MATCH (c:Customer)-[:PERFORMED]->(i)
RETURN id AS interactionId, c.customerId AS customerId, i.rowHash AS rowHash
