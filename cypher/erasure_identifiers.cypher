// Erasure: the identifier and asset nodes the records ($customers) or their interactions
// link to (deleted afterwards when nobody else links to them).
MATCH (c:Customer)-[:HAS_EMAIL|HAS_PHONE|LIVES_AT|USES_DEVICE|HOLDS|HAS_IDENTIFIER]->(x)
WHERE c.customerId IN $customers
RETURN DISTINCT x.email AS email, x.phone AS phone, x.addressId AS addressId,
       x.deviceId AS deviceId, x.accountId AS accountId, x.identifierId AS identifierId
UNION
MATCH (c:Customer)-[:PERFORMED]->(:Interaction)-[:VIA|ON]->(x)
WHERE c.customerId IN $customers
RETURN DISTINCT x.email AS email, x.phone AS phone, x.addressId AS addressId,
       x.deviceId AS deviceId, x.accountId AS accountId, x.identifierId AS identifierId
