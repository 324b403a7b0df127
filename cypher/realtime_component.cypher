// The records around $ids in the match graph (up to 4 MATCHES edges away, at most $limit
// records), each with the fields resolution compares, its profile, its sparse flag and its
// MATCHES edges (the other record, probability, status, decision time).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
MATCH (c)-[:MATCHES*0..4]-(o:Customer)
WITH collect(DISTINCT o)[..$limit] AS found
UNWIND found AS o
OPTIONAL MATCH (o)-[:RESOLVES_TO]->(p:Profile)
RETURN o.customerId AS customerId, o.source AS source, o.firstName AS firstName,
       o.middleName AS middleName, o.lastName AS lastName, o.dateOfBirth AS dateOfBirth,
       o.gender AS gender, o.email AS email, o.phone AS phone, o.phoneType AS phoneType,
       o.street AS street, o.city AS city, o.postcode AS postcode, o.addressId AS addressId,
       o.updatedAt AS updatedAt, o.sparse AS sparse, o.stub AS stub,
       [k IN keys(o) WHERE k STARTS WITH 'id_' | [k, o[k]]] AS identifiers,
       p.profileId AS profileId, p.createdAt AS createdAt,
       [(o)-[m:MATCHES]-(x:Customer) |
         {other: x.customerId, probability: m.probability, status: m.status}] AS edges
