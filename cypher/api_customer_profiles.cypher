// API: the profile each customer in $ids resolves to, with the membership's confidence.
// A customer that no resolution run has placed gives no row.
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[r:RESOLVES_TO]->(p:Profile)
RETURN cid AS customerId, r.confidence AS confidence, properties(p) AS profile
