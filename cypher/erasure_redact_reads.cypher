// Erasure: reads of personal data about the person (READ_PII relationships, one per read,
// record_read.cypher) become AuditEvent nodes as erasure_redact_audit.cypher leaves every
// other event: who read and when, without details and without the person's ids, with
// CONCERNS edges to the other records and profiles the read was about. The read's
// relationships go (READ_PII_ALSO ones to other people too: the node stands for the read).
MATCH (a:Actor)-[r:READ_PII]->()
WHERE any(x IN coalesce(r.entityIds, []) WHERE x IN $customers OR x IN $profiles)
WITH a, r, [x IN r.entityIds WHERE NOT x IN $customers AND NOT x IN $profiles] AS left
CREATE (e:AuditEvent {auditId: r.auditId, at: r.at, atUs: r.atUs, actor: a.name,
                      action: r.action, before: $redacted, after: $redacted,
                      reason: $redacted, redactedAt: $at, entityIds: left})
WITH e, r, left
OPTIONAL MATCH (c:Customer) WHERE c.customerId IN left
WITH e, r, left, collect(c) AS customers
OPTIONAL MATCH (p:Profile) WHERE p.profileId IN left
WITH e, r, customers, collect(p) AS profiles
FOREACH (t IN customers + profiles | CREATE (e)-[:CONCERNS]->(t))
DELETE r
WITH collect(e.auditId) AS ids
OPTIONAL MATCH (:Actor)-[x:READ_PII_ALSO]->() WHERE x.auditId IN ids
WITH ids, collect(x) AS also
FOREACH (x IN also | DELETE x)
RETURN size(ids) AS n
