// One edge per unordered pair, from the smaller customerId to the larger. A steward's
// status and method survive; the model's score, log-odds and explanation are refreshed.
UNWIND $rows AS row
MATCH (a:Customer {customerId: row.a})
MATCH (b:Customer {customerId: row.b})
MERGE (a)-[m:MATCHES]->(b)
ON CREATE SET m.status = 'auto', m.method = 'model'
SET m.probability = row.probability, m.logit = row.logit, m.explanation = row.explanation,
    m.modelVersion = row.modelVersion, m.runId = row.runId, m.updatedAt = row.updatedAt
