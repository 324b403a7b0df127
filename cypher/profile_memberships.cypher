// Every record's profile, with when that profile was created (the tie-break for IDs).
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN c.customerId AS customerId, p.profileId AS profileId, p.createdAt AS createdAt
