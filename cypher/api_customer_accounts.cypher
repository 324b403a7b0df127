// API: the accounts each customer in $ids holds, with the role.
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[h:HOLDS]->(a:Account)
RETURN cid AS customerId, a.accountId AS accountId, h.role AS role
