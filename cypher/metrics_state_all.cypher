// Metrics: every active profile with its metric values as last stored (dnaState, JSON), what
// a batch compares new values against without reading every metric property.
MATCH (p:Profile)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.dnaState AS state
