// Model edges the latest run no longer keeps (undecided ones only: a steward's stay).
UNWIND $rows AS row
MATCH (:Customer {customerId: row.a})-[m:MATCHES]->(:Customer {customerId: row.b})
WHERE m.status = 'auto'
DELETE m
