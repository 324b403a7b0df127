// Fire alerts about profiles: skip a row whose (rule, entity) fired after row.cooldownFromMs,
// else create the Alert, link it to the profile and queue one WebhookDelivery per webhook.
// Returns what was created. The profile is written (_alertLock, set and cleared) before the
// cooldown is read: on Neo4j (read committed) that takes its write lock, so a second writer
// (another API replica, `idgraph metrics`) waits there and then sees the first one's alert
// instead of passing the same check. Rows come sorted by entity, so writers lock in one order.
UNWIND $rows AS row
MATCH (e:Profile {profileId: row.entityId})
SET e._alertLock = true
WITH row, e
OPTIONAL MATCH (prev:Alert {cooldownKey: row.cooldownKey})
WHERE prev.firedAtMs > row.cooldownFromMs
WITH row, e, count(prev) AS recent
SET e._alertLock = null
WITH row, e, recent
WHERE recent = 0
CREATE (a:Alert {alertId: row.alertId})-[:ABOUT]->(e)
SET a += row.props
FOREACH (w IN row.webhooks |
  CREATE (:WebhookDelivery {deliveryId: row.alertId + '/' + w, alertId: row.alertId,
          webhook: w, status: 'pending', attempts: 0, nextAttemptMs: row.props.firedAtMs,
          createdAt: row.props.firedAt})-[:FOR]->(a))
RETURN a.alertId AS alertId, null AS decisionMakerId
