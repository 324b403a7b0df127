// Households: an active household left without current members is dissolved (kept as
// history with its ended memberships).
MATCH (h:Household)
WHERE h.status = 'active' AND NOT (h)<-[:MEMBER_OF {status: 'current'}]-(:Profile)
SET h.status = 'dissolved', h.updatedAt = $at
RETURN count(h) AS dissolved
