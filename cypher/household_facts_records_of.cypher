// Households, incremental: member records and their postcodes of the active profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(c:Customer)
RETURN p.profileId AS profileId, c.customerId AS customerId, c.postcode AS postcode
