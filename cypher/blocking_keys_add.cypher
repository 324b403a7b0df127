// Register blocking-key properties before records get them (see blocking_keys_keep).
UNWIND $rows AS row
MERGE (:BlockingKey {name: row.name})
