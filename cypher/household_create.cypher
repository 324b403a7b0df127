// Households: new households, their IDs known to be absent ($rows: householdId, props, at).
UNWIND $rows AS row
CREATE (h:Household {householdId: row.householdId})
SET h += row.props, h.status = 'active', h.createdAt = row.at, h.updatedAt = row.at
