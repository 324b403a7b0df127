// Steward decisions on pairs that have a record in $ids: the pair, the decision, who made it,
// when and why (an edge between two of $ids comes back once from each end).
UNWIND $ids AS x
MATCH (c:Customer {customerId: x})-[m:MATCHES]-(o:Customer)
WHERE m.status IN ['confirmed', 'rejected']
RETURN c.customerId AS a, o.customerId AS b, m.status AS status, m.decidedBy AS decidedBy,
       m.decidedAt AS decidedAt, m.reason AS reason
