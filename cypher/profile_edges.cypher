// Whole-cluster review: every MATCHES edge of the profile's records with probability at or
// above $min, and every decided one: between two members (what holds the profile together)
// and to records outside, with the profile each of those is in (what nearly joined). An edge
// between two members comes back once from each end.
MATCH (p:Profile {profileId: $profileId})<-[:RESOLVES_TO]-(c:Customer)-[m:MATCHES]-(o:Customer)
WHERE coalesce(m.probability, 0.0) >= $min OR m.status <> 'auto'
OPTIONAL MATCH (o)-[:RESOLVES_TO]->(q:Profile)
RETURN c.customerId AS member, o.customerId AS other, q.profileId AS otherProfile,
       properties(m) AS match
