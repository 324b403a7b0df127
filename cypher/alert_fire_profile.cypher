// Fire alerts about profiles: skip a row whose (rule, entity) fired after row.cooldownFromMs
// (checked here, in the write, so two writers cannot both pass), else create the Alert, link
// it to the profile and queue one WebhookDelivery per webhook. Returns what was created.
UNWIND $rows AS row
MATCH (e:Profile {profileId: row.entityId})
OPTIONAL MATCH (prev:Alert {cooldownKey: row.cooldownKey})
WHERE prev.firedAtMs > row.cooldownFromMs
WITH row, e, count(prev) AS recent
WHERE recent = 0
CREATE (a:Alert {alertId: row.alertId})-[:ABOUT]->(e)
SET a += row.props
FOREACH (w IN row.webhooks |
  CREATE (:WebhookDelivery {deliveryId: row.alertId + '/' + w, alertId: row.alertId,
          webhook: w, status: 'pending', attempts: 0, nextAttemptMs: row.props.firedAtMs,
          createdAt: row.props.firedAt})-[:FOR]->(a))
RETURN a.alertId AS alertId, null AS decisionMakerId
