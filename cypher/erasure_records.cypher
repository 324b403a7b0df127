// Erasure: the records' interactions and consent statements, the records (their MATCHES,
// RESOLVES_TO and identifier edges with them) and the profiles (metrics, history and
// memberships are on or at them).
OPTIONAL MATCH (c:Customer)-[:PERFORMED]->(i:Interaction)
WHERE c.customerId IN $customers
WITH collect(DISTINCT i) AS interactions
FOREACH (i IN interactions | DETACH DELETE i)
WITH size(interactions) AS interactions
OPTIONAL MATCH (c:Customer)-[:STATED]->(s:ConsentStatement)
WHERE c.customerId IN $customers
WITH interactions, collect(DISTINCT s) AS statements
FOREACH (s IN statements | DETACH DELETE s)
WITH interactions, size(statements) AS statements
OPTIONAL MATCH (c:Customer)
WHERE c.customerId IN $customers
WITH interactions, statements, collect(c) AS records
FOREACH (c IN records | DETACH DELETE c)
WITH interactions, statements, size(records) AS records
OPTIONAL MATCH (p:Profile)
WHERE p.profileId IN $profiles
WITH interactions, statements, records, collect(p) AS profiles
FOREACH (p IN profiles | DETACH DELETE p)
RETURN interactions, statements, records, size(profiles) AS profiles
