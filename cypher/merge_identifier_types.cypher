// Identifier types a mapping declares ($rows: name, compare). A type keeps the compare kind
// it was first declared with; ingestion refuses a mapping that declares another.
UNWIND $rows AS row
MERGE (t:IdentifierType {name: row.name})
ON CREATE SET t.compare = row.compare
RETURN t.name AS name, t.compare AS compare
