// Search: candidate profiles for a name query, those whose golden first or last name starts
// with one of $initials (lower case; the query's words and their nicknames' formal names).
// The caller scores the names (app/search.py); retired profiles are left out.
MATCH (p:Profile)
WHERE (p.status IS NULL OR p.status <> 'merged')
  AND (toLower(left(coalesce(p.lastName, ''), 1)) IN $initials
       OR toLower(left(coalesce(p.firstName, ''), 1)) IN $initials)
RETURN p.profileId AS profileId, p.firstName AS firstName, p.lastName AS lastName
