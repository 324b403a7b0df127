// Records linked to any of $ids by an edge that counts at confidence $min: confirmed
// always, rejected never, otherwise the model's probability at or above $min.
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})-[m:MATCHES]-(o:Customer)
WHERE m.status = 'confirmed' OR (m.status <> 'rejected' AND m.probability >= $min)
RETURN DISTINCT o.customerId AS customerId
