// Search, first step: the distinct golden names of live profiles whose first or last name
// starts with one of $initials (lower case; the query's words and their nicknames' formal
// names), with how many profiles carry each. The caller scores the names (app/search.py)
// and asks search_name_profiles for the profiles of those that pass.
MATCH (p:Profile)
WHERE p.lastName IS NOT NULL
  AND (p.status IS NULL OR p.status <> 'merged')
  AND (toLower(left(p.lastName, 1)) IN $initials
       OR toLower(left(coalesce(p.firstName, ''), 1)) IN $initials)
RETURN p.firstName AS firstName, p.lastName AS lastName, count(*) AS profiles
