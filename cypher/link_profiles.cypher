UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MATCH (p:Profile {profileId: row.profileId})
MERGE (c)-[r:RESOLVES_TO]->(p)
SET r.confidence = row.confidence
