// Erasure: audit events about the person's records or profiles keep who did what and when,
// and lose their details (before, after, reason) and their edges to the person.
MATCH (e:AuditEvent)-[:CONCERNS]->(n)
WHERE (n:Customer AND n.customerId IN $customers) OR (n:Profile AND n.profileId IN $profiles)
WITH DISTINCT e
SET e.before = $redacted, e.after = $redacted, e.reason = $redacted, e.redactedAt = $at
RETURN count(e) AS n
