UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (a:Account {accountId: row.accountId})
MERGE (c)-[h:HOLDS]->(a)
SET h.role = row.role
