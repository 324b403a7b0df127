// The fields resolution compares, for the records in $ids (`identifiers`: declared
// identifiers and attributes as [name, value] pairs).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
RETURN c.customerId AS customerId, c.source AS source, c.firstName AS firstName,
       c.middleName AS middleName, c.lastName AS lastName, c.dateOfBirth AS dateOfBirth,
       c.gender AS gender, c.email AS email, c.phone AS phone, c.phoneType AS phoneType,
       c.street AS street, c.city AS city, c.postcode AS postcode, c.addressId AS addressId,
       c.updatedAt AS updatedAt, c.sparse AS sparse,
       [k IN keys(c) WHERE k STARTS WITH 'id_' OR k STARTS WITH 'attr_' | [k, c[k]]]
         AS identifiers
