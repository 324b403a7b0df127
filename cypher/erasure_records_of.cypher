// Erasure: every property of the person's records (what may be in files elsewhere).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
RETURN properties(c) AS props
