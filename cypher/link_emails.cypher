UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (e:Email {email: row.email})
MERGE (c)-[:HAS_EMAIL]->(e)
