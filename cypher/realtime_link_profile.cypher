// Move records into a profile in one round trip: old RESOLVES_TO edges go, the new one is set.
UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MATCH (p:Profile {profileId: row.profileId})
WITH c, p, row, [(c)-[r:RESOLVES_TO]->(o:Profile) WHERE o.profileId <> row.profileId | r] AS old
FOREACH (r IN old | DELETE r)
MERGE (c)-[r:RESOLVES_TO]->(p)
SET r.confidence = row.confidence
