// Steward decisions, which every re-run keeps, oldest first.
MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
WHERE m.status IN ['confirmed', 'rejected']
RETURN a.customerId AS a, b.customerId AS b, m.status AS status, m.decidedAt AS decidedAt
ORDER BY decidedAt, a, b
