// Group DNA: the stored properties of the households in $ids (previous values, history).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
RETURN hid AS householdId, properties(h) AS props
