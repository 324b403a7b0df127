MATCH (a:Customer {customerId: $a})-[m:MATCHES]->(b:Customer {customerId: $b})
RETURN m.status AS status, m.method AS method, m.probability AS probability
