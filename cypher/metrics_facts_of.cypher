// Metrics: metrics_facts_all for the profiles with these keys ($ids) only.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(c:Customer)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, c.source AS source, c.updatedAt AS updatedAt,
       [f IN $fields | c[f]] AS fields
