// Steward decisions, which every re-run keeps.
MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
WHERE m.status IN ['confirmed', 'rejected']
RETURN a.customerId AS a, b.customerId AS b, m.status AS status
