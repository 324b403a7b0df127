// Households, incremental: household_dissolve_empty for the households in $ids.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
WHERE h.status = 'active' AND NOT (h)<-[:MEMBER_OF {status: 'current'}]-(:Profile)
SET h.status = 'dissolved', h.updatedAt = $at
RETURN count(h) AS dissolved
