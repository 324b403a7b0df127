MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile {profileId: $profileId})
RETURN c.customerId AS customerId
