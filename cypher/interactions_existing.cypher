// Which of these events the graph has already ($ids: interactionIds). The loader writes
// the others with create_interactions (app/ingestion/fresh.py).
UNWIND $ids AS id
MATCH (i:Interaction {interactionId: id})
RETURN id AS interactionId
