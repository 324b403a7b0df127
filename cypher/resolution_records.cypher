// Every customer record the resolver compares (stubs known only from interactions are not),
// in a stable order: the fields it reads, its declared identifiers (id_*) and the blocking
// keys stored for it (bk_*), as [name, value] pairs.
MATCH (c:Customer)
WHERE c.stub IS NULL
RETURN c.customerId AS customerId, c.source AS source, c.firstName AS firstName,
       c.middleName AS middleName, c.lastName AS lastName, c.dateOfBirth AS dateOfBirth,
       c.gender AS gender, c.email AS email, c.phone AS phone, c.phoneType AS phoneType,
       c.street AS street, c.city AS city, c.postcode AS postcode, c.addressId AS addressId,
       c.updatedAt AS updatedAt, c.sparse AS sparse,
       [k IN keys(c) WHERE k STARTS WITH 'id_' | [k, c[k]]] AS identifiers,
       [k IN keys(c) WHERE k STARTS WITH 'bk_' | [k, c[k]]] AS blockKeys
ORDER BY customerId
