MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN c.customerId AS customerId, p.profileId AS profileId
