UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
SET c += row.keys
