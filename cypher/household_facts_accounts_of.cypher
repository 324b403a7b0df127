// Households, incremental: accounts held, with roles of the active profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[h:HOLDS]->(a:Account)
RETURN p.profileId AS profileId, a.accountId AS accountId, h.role AS role
