// Households: devices, phones and e-mails of every active profile, as flat rows
// (FalkorDB answers these far faster than per-profile pattern comprehensions).
MATCH (p:Profile)
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[:USES_DEVICE|HAS_PHONE|HAS_EMAIL]->(x)
RETURN p.profileId AS profileId, labels(x)[0] AS label, coalesce(x.deviceId, x.phone, x.email) AS value
