// Metrics: metrics_state_all for the profiles with these keys ($ids).
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.dnaState AS state
