// The attributes mappings have declared compared, and how the resolver compares each.
MATCH (t:ComparedAttribute)
RETURN t.name AS name, t.compare AS compare
ORDER BY name
