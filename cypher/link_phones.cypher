UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (p:Phone {phone: row.phone})
MERGE (c)-[:HAS_PHONE]->(p)
