// Group DNA: the state each household in $ids was last written with (dnaState; null before)
// and when its Group DNA was last written (null: never, so it has no history to read).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
RETURN hid AS householdId, h.dnaState AS state, h.dnaComputedAt AS computedAt
