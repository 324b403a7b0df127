// Who performed each of these events already ($ids: interactionIds): an event ID belongs to
// one performer, so a row naming another customer is refused (docs/ingestion.md).
UNWIND $ids AS id
MATCH (c:Customer)-[:PERFORMED]->(i:Interaction {interactionId: id})
RETURN id AS interactionId, c.customerId AS customerId
