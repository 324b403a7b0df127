// Households: an ID no new group kept points at the household that took most of it over.
UNWIND $rows AS row
MATCH (h:Household {householdId: row.householdId})
WHERE h.status = 'active'
SET h.status = 'merged', h.mergedInto = row.successor, h.updatedAt = row.at
