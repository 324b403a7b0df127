// Metrics (factual): each member record of the active profiles with these keys ($ids), with
// the fields asked for.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})<-[:RESOLVES_TO]-(c:Customer)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, c.source AS source, c.updatedAt AS updatedAt,
       [f IN $fields | c[f]] AS fields
