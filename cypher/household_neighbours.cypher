// Households, incremental: the profiles that share an address, account, device, phone or
// e-mail with the profiles in $ids, and the current members of their households: the part
// of the graph a change to those profiles can regroup.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[:LIVES_AT|HOLDS|USES_DEVICE|HAS_PHONE|HAS_EMAIL]->(x)
               <-[:LIVES_AT|HOLDS|USES_DEVICE|HAS_PHONE|HAS_EMAIL]-(:Customer)-[:RESOLVES_TO]->(q:Profile)
WITH p, collect(DISTINCT q) + [p] AS near
UNWIND near AS n
OPTIONAL MATCH (n)-[m:MEMBER_OF]->(:Household)<-[m2:MEMBER_OF]-(o:Profile)
WHERE m.status = 'current' AND m2.status = 'current'
WITH collect(DISTINCT n.profileId) + collect(DISTINCT o.profileId) AS ids
UNWIND ids AS id
WITH DISTINCT id WHERE id IS NOT NULL
RETURN id AS profileId
