// The change feed's outbox: one ChangeEvent per row (profile created, merged, split, its
// golden attributes changed; a household's members changed) and one WebhookDelivery per
// webhook subscribed to changes, delivered by the same worker as alerts.
UNWIND $rows AS row
CREATE (e:ChangeEvent {eventId: row.eventId})
SET e += row.props
FOREACH (w IN row.webhooks |
  CREATE (:WebhookDelivery {deliveryId: row.eventId + '/' + w, eventId: row.eventId,
          webhook: w, status: 'pending', attempts: 0, nextAttemptMs: row.props.atMs,
          createdAt: row.props.at})-[:FOR]->(e))
