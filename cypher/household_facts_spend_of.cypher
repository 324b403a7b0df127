// Households, incremental: spend (interactions of the types in $spendTypes) of the active profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(c:Customer)
WITH p, c  // walk out from the profiles, not in from every Interaction
MATCH (c)-[:PERFORMED]->(i:Interaction)
WHERE i.type IN $spendTypes
RETURN p.profileId AS profileId, sum(coalesce(i.value, 0.0)) AS spend
