// Who did what to which records (and profiles), when and why, with the state before and
// after (JSON). entityIds lists everything it is about, nodes or not (app/audit.py).
CREATE (e:AuditEvent {auditId: $auditId, at: $at, atUs: $atUs, actor: $actor,
                      action: $action, reason: $reason, before: $before, after: $after,
                      entityIds: $entityIds})
WITH e
OPTIONAL MATCH (c:Customer) WHERE c.customerId IN $customerIds
WITH e, collect(c) AS customers
FOREACH (c IN customers | CREATE (e)-[:CONCERNS]->(c))
WITH e
OPTIONAL MATCH (p:Profile) WHERE p.profileId IN $profileIds
WITH e, collect(p) AS profiles
FOREACH (p IN profiles | CREATE (e)-[:CONCERNS]->(p))
