UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (a:Address {addressId: row.addressId})
SET a += row.props
MERGE (c)-[:LIVES_AT]->(a)
