// An Address node's properties as survivorship chose them from its records (a null
// removes the property).
UNWIND $rows AS row
MATCH (a:Address {addressId: row.addressId})
SET a.street = row.street, a.city = row.city, a.postcode = row.postcode,
    a.country = row.country
