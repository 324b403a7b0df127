// API: one customer by key with the profile it resolves to (as api_customers and
// api_customer_profiles give them), for a query that asks for both: one read, and the
// profile's own reads (its household) can start at once. No row: no such customer.
MATCH (c:Customer {customerId: $id})
OPTIONAL MATCH (c)-[r:RESOLVES_TO]->(p:Profile)
RETURN properties(c) AS customer, r.confidence AS confidence, properties(p) AS profile
