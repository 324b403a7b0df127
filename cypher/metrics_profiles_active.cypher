// Metrics: the key of every active profile (a batch reads their state, records and
// interactions in pages of these keys).
MATCH (p:Profile)
WHERE p.status = 'active'
RETURN p.profileId AS profileId
