// Who did what to which records, when and why, with the state before and after (JSON).
CREATE (e:AuditEvent {auditId: $auditId, at: $at, actor: $actor, action: $action,
                      reason: $reason, before: $before, after: $after})
WITH e
UNWIND $customerIds AS cid
MATCH (c:Customer {customerId: cid})
CREATE (e)-[:CONCERNS]->(c)
