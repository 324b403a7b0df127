// The identifier types mappings have declared, and how the resolver compares each.
MATCH (t:IdentifierType)
RETURN t.name AS name, t.compare AS compare
ORDER BY name
