// API: the e-mails, phones and addresses of each customer in $ids, one row per customer.
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
RETURN cid AS customerId,
       [(c)-[:HAS_EMAIL]->(e:Email) | e.email] AS emails,
       [(c)-[:HAS_PHONE]->(p:Phone) | p.phone] AS phones,
       [(c)-[:LIVES_AT]->(a:Address) | properties(a)] AS addresses
