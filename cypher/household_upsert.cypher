// Households: one row per household ($rows: householdId, props, at).
UNWIND $rows AS row
MERGE (h:Household {householdId: row.householdId})
ON CREATE SET h.createdAt = row.at
SET h += row.props, h.status = 'active', h.updatedAt = row.at
REMOVE h.mergedInto
