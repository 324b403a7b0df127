// Properties of the households a collection-scoped rule must filter: one read per batch.
UNWIND $ids AS id
MATCH (n:Household {householdId: id})
RETURN id, properties(n) AS props
