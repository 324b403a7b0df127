// After every record carries the keys of the current rules (and none of the others): forget
// the properties no record holds any more.
MATCH (k:BlockingKey)
WHERE NOT k.name IN $names
DELETE k
