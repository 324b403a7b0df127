// A read of personal data (app/audit.py, record with action readPII): a READ_PII
// relationship from the reader's Actor node to the first record or profile read, holding the
// event (auditId, time, fields, entityIds: what the trail shows), and a READ_PII_ALSO to
// each other one, holding what the person's data playback shows (auditId, time, fields).
// Relationships, not an AuditEvent node: on FalkorDB every node a query creates makes later
// writes slower until the graph is reloaded, relationships between existing nodes do not
// (docs/architecture.md, "The read audit"). When none of the records and profiles is in the
// graph (any more), the event is an AuditEvent node as every other action's is.
MERGE (a:Actor {name: $actor})
WITH a
OPTIONAL MATCH (c:Customer) WHERE c.customerId IN $customerIds
WITH a, collect(c) AS customers
OPTIONAL MATCH (p:Profile) WHERE p.profileId IN $profileIds
WITH a, customers, collect(p) AS profiles
WITH a, customers + profiles AS read
FOREACH (n IN read[..1] |
  CREATE (a)-[:READ_PII {auditId: $auditId, at: $at, atUs: $atUs, action: $action,
                         reason: $reason, before: $before, after: $after,
                         entityIds: $entityIds}]->(n))
FOREACH (n IN read[1..] |
  CREATE (a)-[:READ_PII_ALSO {auditId: $auditId, at: $at, atUs: $atUs, after: $after}]->(n))
FOREACH (_ IN CASE WHEN size(read) = 0 THEN [1] ELSE [] END |
  CREATE (:AuditEvent {auditId: $auditId, at: $at, atUs: $atUs, actor: $actor,
                       action: $action, reason: $reason, before: $before, after: $after,
                       entityIds: $entityIds}))
