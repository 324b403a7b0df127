// Every customer record the resolver compares (stubs known only from interactions are not),
// in a stable order: the fields it reads, its declared identifiers (id_*) as [name, value]
// pairs, and the digest of the blocking keys stored for it (not the keys: reading a dozen
// bk_* values per record cost more than the rest of the record).
MATCH (c:Customer)
WHERE c.stub IS NULL
RETURN c.customerId AS customerId, c.source AS source, c.firstName AS firstName,
       c.middleName AS middleName, c.lastName AS lastName, c.dateOfBirth AS dateOfBirth,
       c.gender AS gender, c.email AS email, c.phone AS phone, c.phoneType AS phoneType,
       c.street AS street, c.city AS city, c.postcode AS postcode, c.addressId AS addressId,
       c.updatedAt AS updatedAt, c.blockHash AS blockHash,
       [k IN keys(c) WHERE k STARTS WITH 'id_' | [k, c[k]]] AS identifiers
ORDER BY customerId
