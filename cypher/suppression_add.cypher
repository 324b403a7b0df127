// Erased records: keyed hashes of their customerIds, so a later load cannot bring them back.
UNWIND $rows AS row
MERGE (s:Suppression {keyHash: row.keyHash})
ON CREATE SET s.at = row.at
