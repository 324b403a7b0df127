// The delivery worker takes up to 50 due deliveries (of alerts and change events) and leases them (moves their next attempt
// to $leaseUntil), so a second worker (another API replica, `idgraph deliver`) skips them.
// Each delivery is written (_claimLock) before it is checked again: on Neo4j (read committed)
// that takes its write lock, so a second worker that matched it too waits there, then reads
// the first one's lease and leaves it.
MATCH (d:WebhookDelivery {status: 'pending'})
WHERE d.nextAttemptMs <= $now
WITH d ORDER BY d.nextAttemptMs, d.deliveryId LIMIT 50
SET d._claimLock = true
WITH d, d.status = 'pending' AND d.nextAttemptMs <= $now AS due
SET d._claimLock = null
WITH d WHERE due
MATCH (d)-[:FOR]->(a)
SET d.nextAttemptMs = $leaseUntil
RETURN d.deliveryId AS deliveryId, d.webhook AS webhook, d.attempts AS attempts,
       labels(a)[0] AS kind, properties(a) AS alert
