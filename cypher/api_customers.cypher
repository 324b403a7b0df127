// API: customers by key ($ids), one row each; absent keys give no row.
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
RETURN properties(c) AS customer
