// Data playback: who read the person's personal data (readPII audit events concerning the
// profile or one of its records $customers), newest first; playback_read_edges.cypher gives
// the reads kept as READ_PII relationships.
MATCH (e:AuditEvent)-[:CONCERNS]->(n)
WHERE e.action = 'readPII'
  AND ((n:Profile AND n.profileId = $profileId) OR (n:Customer AND n.customerId IN $customers))
WITH DISTINCT e
RETURN e.at AS at, e.atUs AS atUs, e.actor AS actor, e.after AS after
ORDER BY atUs DESC
LIMIT $limit
