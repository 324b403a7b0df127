// The addresses these records live at now ($ids: customerIds).
UNWIND $ids AS id
MATCH (:Customer {customerId: id})-[:LIVES_AT]->(a:Address)
RETURN id AS customerId, a.addressId AS addressId
