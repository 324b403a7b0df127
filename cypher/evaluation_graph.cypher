// Every record with its sparse flag and its MATCHES edges (other record, probability), for
// re-clustering the stored graph at other thresholds (`idgraph evaluate`).
MATCH (c:Customer)
WHERE c.stub IS NULL
RETURN c.customerId AS customerId, c.sparse AS sparse,
       [(c)-[m:MATCHES]-(o:Customer) | [o.customerId, m.probability]] AS edges
ORDER BY customerId
