// The delivery worker takes up to 50 due deliveries and leases them (moves their next attempt
// to $leaseUntil), so a second worker (a running server and `idgraph deliver`) skips them.
MATCH (d:WebhookDelivery {status: 'pending'})
WHERE d.nextAttemptMs <= $now
WITH d ORDER BY d.nextAttemptMs, d.deliveryId LIMIT 50
MATCH (d)-[:FOR]->(a:Alert)
SET d.nextAttemptMs = $leaseUntil
RETURN d.deliveryId AS deliveryId, d.webhook AS webhook, d.attempts AS attempts,
       properties(a) AS alert
