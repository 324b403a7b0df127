// Households: member records and their postcodes of every active profile, as flat rows
// (FalkorDB answers these far faster than per-profile pattern comprehensions).
MATCH (p:Profile)
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(c:Customer)
RETURN p.profileId AS profileId, c.customerId AS customerId, c.postcode AS postcode
