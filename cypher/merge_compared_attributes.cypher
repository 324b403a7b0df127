// Compared attributes a mapping declares ($rows: name, compare). An attribute keeps the
// compare kind it was first declared with; ingestion refuses a mapping that declares another.
UNWIND $rows AS row
MERGE (t:ComparedAttribute {name: row.name})
ON CREATE SET t.compare = row.compare
RETURN t.name AS name, t.compare AS compare
