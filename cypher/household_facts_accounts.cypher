// Households: accounts held, with roles of every active profile, as flat rows
// (FalkorDB answers these far faster than per-profile pattern comprehensions).
MATCH (p:Profile)
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[h:HOLDS]->(a:Account)
RETURN p.profileId AS profileId, a.accountId AS accountId, h.role AS role
