// Metrics: the profile a record resolves to (none before resolution).
MATCH (c:Customer {customerId: $customerId})-[:RESOLVES_TO]->(p:Profile)
RETURN p.profileId AS profileId
