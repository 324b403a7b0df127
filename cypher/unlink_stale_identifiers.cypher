// A changed record drops the identifier edges it no longer carries. row.keys holds
// "<Label>:<key>" for every identifier the record still has. Returns the addresses left, so
// that their properties are chosen again from the records still living there.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})-[r:HAS_EMAIL|HAS_PHONE|LIVES_AT|USES_DEVICE|HOLDS|HAS_IDENTIFIER]->(x)
WITH row, r, x, labels(x)[0] + ':' + coalesce(x.email, x.phone, x.addressId, x.deviceId, x.accountId, x.identifierId) AS key
WHERE NOT key IN row.keys
DELETE r
RETURN DISTINCT x.addressId AS addressId
