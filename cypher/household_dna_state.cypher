// Group DNA: the state each household in $ids was last written with (dnaState; null before).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
RETURN hid AS householdId, h.dnaState AS state
