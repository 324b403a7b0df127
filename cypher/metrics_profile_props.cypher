// Metrics (API): every property of these profiles ($ids); the caller keeps the dna_ ones.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
RETURN p.profileId AS profileId, properties(p) AS props
