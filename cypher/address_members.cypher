// The records living at each of these addresses ($ids: addressIds), with what survivorship
// reads: an Address node's properties come from them (app/ingestion/addresses.py).
UNWIND $ids AS id
MATCH (a:Address {addressId: id})<-[:LIVES_AT]-(c:Customer)
RETURN id AS addressId, c.customerId AS customerId, c.source AS source,
       c.updatedAt AS updatedAt, c.street AS street, c.city AS city, c.postcode AS postcode,
       c.country AS country
