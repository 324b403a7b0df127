// Group DNA: metric values, histories and trends ($rows: householdId, props).
UNWIND $rows AS row
MATCH (h:Household {householdId: row.householdId})
SET h += row.props
