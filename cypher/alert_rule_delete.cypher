// Remove alert rules defined over GraphQL; the alerts they fired stay.
UNWIND $rows AS row
MATCH (r:AlertRule {name: row.name})
DELETE r
