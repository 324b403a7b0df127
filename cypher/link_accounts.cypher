// row.props: the account's attributes the record carries (a mapping's accountAttributes,
// e.g. planMb); absent ones are left as they are, since other records share the account.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (a:Account {accountId: row.accountId})
SET a += row.props
MERGE (c)-[h:HOLDS]->(a)
SET h.role = row.role
