// API: the materialised members (RESOLVES_TO) of each profile in $ids.
UNWIND $ids AS pid
MATCH (c:Customer)-[:RESOLVES_TO]->(:Profile {profileId: pid})
RETURN pid AS profileId, c.customerId AS customerId
