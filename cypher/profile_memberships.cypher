// Every record's profile, with its confidence there and when that profile was created (the
// tie-break for IDs).
MATCH (c:Customer)-[r:RESOLVES_TO]->(p:Profile)
RETURN c.customerId AS customerId, p.profileId AS profileId, p.createdAt AS createdAt,
       r.confidence AS confidence
