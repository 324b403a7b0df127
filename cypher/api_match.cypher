// API: the MATCHES edge between two records, whichever way it points.
MATCH (x:Customer {customerId: $a})-[m:MATCHES]-(y:Customer {customerId: $b})
RETURN startNode(m).customerId AS a, endNode(m).customerId AS b, properties(m) AS match
LIMIT 1
