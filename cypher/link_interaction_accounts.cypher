UNWIND $rows AS row
MATCH (i:Interaction {interactionId: row.interactionId})
MERGE (a:Account {accountId: row.accountId})
MERGE (i)-[:ON]->(a)
