// Identifiers a mapping declares (identifierId = "<type>:<normalised value>"), shared
// between the records that carry the same one.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (i:Identifier {identifierId: row.identifierId})
ON CREATE SET i.type = row.type, i.value = row.value
MERGE (c)-[:HAS_IDENTIFIER]->(i)
