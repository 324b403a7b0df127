// The real-time path's one read after the candidate lookup: for the new record ($me, also in
// $ids) and each candidate, the fields the model compares, its profile with that profile's
// members (for golden attributes without another read), and the status of any edge it has
// with $me (a steward's rejection must hold).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
OPTIONAL MATCH (c)-[:RESOLVES_TO]->(p:Profile)
WITH c, p, [(c)-[m:MATCHES]-(o:Customer) WHERE o.customerId = $me | m.status] AS statuses
RETURN c.customerId AS customerId, c.source AS source, c.firstName AS firstName,
       c.lastName AS lastName, c.dateOfBirth AS dateOfBirth, c.email AS email,
       c.phone AS phone, c.addressId AS addressId, c.postcode AS postcode, c.city AS city,
       c.street AS street, c.updatedAt AS updatedAt,
       p.profileId AS profileId, p.size AS size, statuses,
       CASE WHEN p IS NULL THEN [] ELSE
         [(p)<-[:RESOLVES_TO]-(x:Customer) | x {.customerId, .source, .firstName, .lastName,
           .dateOfBirth, .email, .phone, .addressId, .postcode, .city, .street, .updatedAt}]
       END AS members
