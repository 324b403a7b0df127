// Properties of the profiles a collection-scoped rule must filter: one read per batch.
UNWIND $ids AS id
MATCH (n:Profile {profileId: id})
RETURN id, properties(n) AS props
