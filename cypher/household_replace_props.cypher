// Households: replace every property ($rows: {householdId, props}; props keeps the key).
UNWIND $rows AS row
MATCH (h:Household {householdId: row.householdId})
SET h = row.props
