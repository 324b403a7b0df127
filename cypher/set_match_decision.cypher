// A steward's decision on a pair: the edge is created if the model never scored the pair.
MATCH (a:Customer {customerId: $a})
MATCH (b:Customer {customerId: $b})
MERGE (a)-[m:MATCHES]->(b)
ON CREATE SET m.probability = null, m.modelVersion = null
SET m.status = $status, m.method = 'steward', m.decidedBy = $actor, m.decidedAt = $at,
    m.reason = $reason
RETURN m.probability AS probability
