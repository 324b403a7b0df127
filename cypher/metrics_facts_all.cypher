// Metrics (factual): each member record of every active profile with the fields asked for.
MATCH (p:Profile)<-[:RESOLVES_TO]-(c:Customer)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, c.source AS source, c.updatedAt AS updatedAt,
       [f IN $fields | c[f]] AS fields
