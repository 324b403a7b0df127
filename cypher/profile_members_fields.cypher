UNWIND $ids AS pid
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile {profileId: pid})
RETURN p.profileId AS profileId, c.customerId AS customerId, c.source AS source,
       c.firstName AS firstName, c.lastName AS lastName, c.dateOfBirth AS dateOfBirth,
       c.email AS email, c.phone AS phone, c.addressId AS addressId, c.postcode AS postcode,
       c.city AS city, c.street AS street, c.updatedAt AS updatedAt
