// A customer whose profile changed loses its old RESOLVES_TO edge.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})-[r:RESOLVES_TO]->(p:Profile)
WHERE p.profileId <> row.profileId
DELETE r
