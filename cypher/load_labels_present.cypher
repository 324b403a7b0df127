// The first label found among those a load writes: none means the graph holds no records
// yet, and a big folder load may go through the store's bulk path (app/ingestion/batch.py).
MATCH (n)
WHERE n:Customer OR n:Interaction OR n:Email OR n:Phone OR n:Address OR n:Device
   OR n:Account OR n:Identifier
RETURN labels(n)[0] AS label
LIMIT 1
