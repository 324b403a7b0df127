// API: one page of MATCHES edges for each customer in $ids, either direction, with
// probability >= $min (an edge a steward created without a model score counts as 0),
// highest first, then by the other record's id; keyset after ($afterP, $afterId).
// $limit = page size + 1, and each list is collected and sliced (see api_customer_interactions).
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[m:MATCHES]-(o:Customer)
WITH cid, m, o, coalesce(m.probability, 0.0) AS p
WHERE p >= $min
  AND ($afterP IS NULL OR p < $afterP OR (p = $afterP AND o.customerId > $afterId))
WITH cid, m, o, p
ORDER BY p DESC, o.customerId
WITH cid, collect({a: startNode(m).customerId, b: endNode(m).customerId,
                   other: o.customerId, props: properties(m)})[..$limit] AS page
UNWIND page AS row
RETURN cid AS customerId, row.a AS a, row.b AS b, row.other AS other, row.props AS match
