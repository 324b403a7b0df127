// API: the accounts each customer in $ids holds, with the role and the account's attributes
// (a mapping's accountAttributes or updateAccount: planMb, product) as [name, value] pairs.
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[h:HOLDS]->(a:Account)
RETURN cid AS customerId, a.accountId AS accountId, h.role AS role,
       [k IN keys(a) WHERE k <> 'accountId' | [k, a[k]]] AS attributes
