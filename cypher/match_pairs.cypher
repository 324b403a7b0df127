// Every MATCHES edge as stored: the pair, its score and model, and whether a steward decided
// it (batch writes only the edges that changed and deletes the model's edges it no longer
// keeps).
MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
RETURN a.customerId AS a, b.customerId AS b, m.probability AS probability,
       m.modelVersion AS modelVersion, m.status AS status
