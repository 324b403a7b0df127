// Households, incremental: devices, phones and e-mails of the active profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
MATCH (p)<-[:RESOLVES_TO]-(:Customer)-[:USES_DEVICE|HAS_PHONE|HAS_EMAIL]->(x)
RETURN p.profileId AS profileId, labels(x)[0] AS label, coalesce(x.deviceId, x.phone, x.email) AS value
