// Metrics: the active profiles with these keys ($ids), each with its metric values as last
// stored (dnaState, JSON): what a batch compares new values against without reading every
// metric property.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.dnaState AS state
