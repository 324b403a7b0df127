// A new Address node starts with the record's values; refresh_addresses then sets them
// from every record living there, by survivorship (app/ingestion/addresses.py), so the
// order records arrive in does not decide them.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (a:Address {addressId: row.addressId})
ON CREATE SET a += row.props
MERGE (c)-[:LIVES_AT]->(a)
