// row.props: the account's attributes the event row carries (a mapping's accountAttributes).
UNWIND $rows AS row
MATCH (i:Interaction {interactionId: row.interactionId})
MERGE (a:Account {accountId: row.accountId})
SET a += row.props
MERGE (i)-[:ON]->(a)
