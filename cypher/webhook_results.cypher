// What each delivery attempt gave: delivered, or still pending with its next attempt.
UNWIND $rows AS row
MATCH (d:WebhookDelivery {deliveryId: row.deliveryId})
SET d.status = row.status, d.attempts = row.attempts, d.nextAttemptMs = row.nextAttemptMs,
    d.nextAttemptAt = row.nextAttemptAt, d.lastAttemptAt = row.lastAttemptAt,
    d.lastError = row.lastError, d.deliveredAt = row.deliveredAt
