// The records $ids of a component (component.component_rows reads it a step at a time,
// from the records its edges reach), each with the fields resolution compares
// (`identifiers`: its declared identifiers and attributes as [name, value] pairs), its
// profile and its confidence in it, its sparse flag and the MATCHES edges it has, either way
// (the other record, probability, status: each edge is listed on both its ends).
UNWIND $ids AS cid
MATCH (o:Customer {customerId: cid})
OPTIONAL MATCH (o)-[r:RESOLVES_TO]->(p:Profile)
OPTIONAL MATCH (o)-[m:MATCHES]-(x:Customer)
WITH o, r, p, collect(CASE WHEN x IS NULL THEN NULL
                           ELSE {other: x.customerId, probability: m.probability,
                                 status: m.status} END) AS edges
RETURN o.customerId AS customerId, o.source AS source, o.firstName AS firstName,
       o.middleName AS middleName, o.lastName AS lastName, o.dateOfBirth AS dateOfBirth,
       o.gender AS gender, o.email AS email, o.phone AS phone, o.phoneType AS phoneType,
       o.street AS street, o.city AS city, o.postcode AS postcode, o.addressId AS addressId,
       o.updatedAt AS updatedAt, o.sparse AS sparse, o.stub AS stub,
       [k IN keys(o) WHERE k STARTS WITH 'id_' OR k STARTS WITH 'attr_' | [k, o[k]]]
         AS identifiers,
       p.profileId AS profileId, p.createdAt AS createdAt, r.confidence AS confidence,
       edges
