// Steward rejections that involve the given records.
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})-[m:MATCHES]-(o:Customer)
WHERE m.status = 'rejected'
RETURN c.customerId AS a, o.customerId AS b
