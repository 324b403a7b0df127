// Households, evaluation: every record with its profile, current household and role there.
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN c.customerId AS customerId, p.profileId AS profileId, h.householdId AS householdId,
       m.role AS role
