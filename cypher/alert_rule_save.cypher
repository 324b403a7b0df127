// Define or replace alert rules by name; definition is the rule as JSON text.
UNWIND $rows AS row
MERGE (r:AlertRule {name: row.name})
SET r.definition = row.definition, r.definedBy = row.definedBy, r.definedAt = row.definedAt
