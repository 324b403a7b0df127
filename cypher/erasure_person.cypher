// Erasure: a person's profiles ($ids: the live one and those merged into it), their records,
// and every household any of them was ever a member of.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
OPTIONAL MATCH (c:Customer)-[:RESOLVES_TO]->(p)
WITH p, collect(c.customerId) AS customers
OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household)
RETURN p.profileId AS profileId, p.absorbed AS absorbed, customers,
       collect(DISTINCT h.householdId) AS households
