// Which of these records the graph has already ($ids: customerIds), stubs included. The
// loader writes the others with create_customers (app/ingestion/fresh.py).
UNWIND $ids AS id
MATCH (c:Customer {customerId: id})
RETURN id AS customerId
