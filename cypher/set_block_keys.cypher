// A record's blocking keys (bk_* properties; a null removes a key no longer used), its
// sparse flag and the digest of both (blockHash), as resolution computed them.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
SET c += row.keys
