// Which of these records the graph has already ($ids: customerIds), stubs included. The
// loader writes the others with create_customers, and leaves alone those whose fingerprint
// (rowHash) is the one it computed (app/ingestion/fresh.py).
UNWIND $ids AS id
MATCH (c:Customer {customerId: id})
RETURN id AS customerId, c.rowHash AS rowHash
