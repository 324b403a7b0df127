// Data playback: reads of the person's personal data kept as READ_PII and READ_PII_ALSO
// relationships (record_read.cypher) to the profile or one of its records $customers, newest first;
// playback_reads.cypher gives those kept as AuditEvent nodes.
MATCH (a:Actor)-[r:READ_PII|READ_PII_ALSO]->(n)
WHERE (n:Profile AND n.profileId = $profileId) OR (n:Customer AND n.customerId IN $customers)
WITH DISTINCT r.auditId AS auditId, r.at AS at, r.atUs AS atUs, a.name AS actor,
              r.after AS after
RETURN at, atUs, actor, after
ORDER BY atUs DESC
LIMIT $limit
