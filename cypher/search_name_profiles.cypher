// Search, second step: the live profiles carrying each of $names ({firstName, lastName}),
// found through the index on Profile.lastName.
UNWIND $names AS n
MATCH (p:Profile {lastName: n.lastName})
WHERE (p.status IS NULL OR p.status <> 'merged')
  AND coalesce(p.firstName, '') = coalesce(n.firstName, '')
RETURN p.profileId AS profileId, n.firstName AS firstName, n.lastName AS lastName
