MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
RETURN a.customerId AS a, b.customerId AS b, m.probability AS probability, m.status AS status
