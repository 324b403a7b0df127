// Erasure: audit events about the person's records or profiles keep who did what and when,
// and lose their details (before, after, reason) and the person's ids among what they are
// about (the edges go with the records and profiles).
MATCH (e:AuditEvent)-[:CONCERNS]->(n)
WHERE (n:Customer AND n.customerId IN $customers) OR (n:Profile AND n.profileId IN $profiles)
WITH DISTINCT e
SET e.before = $redacted, e.after = $redacted, e.reason = $redacted, e.redactedAt = $at,
    e.entityIds = [x IN coalesce(e.entityIds, []) WHERE NOT x IN $customers
                   AND NOT x IN $profiles]
RETURN count(e) AS n
