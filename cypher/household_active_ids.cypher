// Households: the IDs of every active household.
MATCH (h:Household)
WHERE h.status = 'active'
RETURN h.householdId AS householdId
ORDER BY householdId
