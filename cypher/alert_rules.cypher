// Alert rules defined over GraphQL (rules from the YAML file are not in the graph).
MATCH (r:AlertRule)
RETURN r.name AS name, r.definition AS definition, r.definedBy AS definedBy,
       r.definedAt AS definedAt
ORDER BY name
