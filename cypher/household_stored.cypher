// Households: what the households in $ids store of a grouping (absent ones are new).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
RETURN hid AS householdId, h.status AS status, h.mergedInto AS mergedInto, h.size AS size,
       h.addressId AS addressId, h.evidenceKinds AS evidenceKinds,
       h.decisionMaker AS decisionMaker, h.absorbed AS absorbed, h.splitFrom AS splitFrom
