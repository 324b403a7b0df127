// Households: spend (interactions of the types in $spendTypes) of every active profile, as flat rows
// (FalkorDB answers these far faster than per-profile pattern comprehensions).
MATCH (p:Profile)
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
WHERE i.type IN $spendTypes
RETURN p.profileId AS profileId, sum(coalesce(i.value, 0.0)) AS spend
