// A resolved customer with a name, birth date and e-mail (for tests and demos).
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
WHERE c.firstName IS NOT NULL AND c.lastName IS NOT NULL AND c.email IS NOT NULL
  AND c.dateOfBirth IS NOT NULL
RETURN c.customerId AS customerId, c.firstName AS firstName, c.lastName AS lastName,
       c.email AS email, c.dateOfBirth AS dateOfBirth, p.profileId AS profileId
ORDER BY customerId
LIMIT 1
