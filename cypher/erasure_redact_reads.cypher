// Erasure: reads of personal data about the person (READ_PII and READ_PII_ALSO
// relationships, record_read.cypher) become AuditEvent nodes as erasure_redact_audit.cypher
// leaves every other event: who read and when, without details and without the person's
// ids, with CONCERNS edges to the other records and profiles the read was about. The
// relationships go.
MATCH (a:Actor)-[r:READ_PII|READ_PII_ALSO]->(n)
WHERE any(x IN coalesce(r.entityIds, []) WHERE x IN $customers OR x IN $profiles)
WITH r.auditId AS auditId, r.at AS at, r.atUs AS atUs, a.name AS actor, r.action AS action,
     r.entityIds AS ids, collect(n) AS targets, collect(r) AS rels
CREATE (e:AuditEvent {auditId: auditId, at: at, atUs: atUs, actor: actor, action: action,
                      before: $redacted, after: $redacted, reason: $redacted, redactedAt: $at,
                      entityIds: [x IN ids WHERE NOT x IN $customers AND NOT x IN $profiles]})
FOREACH (t IN [t IN targets WHERE NOT ((t:Customer AND t.customerId IN $customers)
                                       OR (t:Profile AND t.profileId IN $profiles))] |
  CREATE (e)-[:CONCERNS]->(t))
FOREACH (x IN rels | DELETE x)
RETURN count(e) AS n
