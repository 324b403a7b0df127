// Search: live profiles whose records carry the identifier typed (each parameter already
// normalised for its kind, null when the text cannot be one; $identifierIds: the text as
// each declared type's Identifier key), or with that record or profile id; one row per
// profile and kind of hit.
MATCH (:Email {email: $email})<-[:HAS_EMAIL]-(:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, 'e-mail' AS matchedOn
UNION
MATCH (:Phone {phone: $phone})<-[:HAS_PHONE]-(:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, 'phone' AS matchedOn
UNION
MATCH (:Account {accountId: $text})<-[:HOLDS]-(:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, 'account' AS matchedOn
UNION
MATCH (:Device {deviceId: $text})<-[:USES_DEVICE]-(:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, 'device' AS matchedOn
UNION
MATCH (:Customer {customerId: $text})-[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, 'record id' AS matchedOn
UNION
MATCH (p:Profile {profileId: $text})
RETURN DISTINCT p.profileId AS profileId, 'profile id' AS matchedOn
UNION
UNWIND $identifierIds AS identifierId
MATCH (i:Identifier {identifierId: identifierId})<-[:HAS_IDENTIFIER]-(:Customer)
      -[:RESOLVES_TO]->(p:Profile)
RETURN DISTINCT p.profileId AS profileId, i.type AS matchedOn
