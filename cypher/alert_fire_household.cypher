// As alert_fire_profile, about households: the alert also records the household's
// decision-maker (the smallest profileId if several), to whom it is addressed.
UNWIND $rows AS row
MATCH (e:Household {householdId: row.entityId})
SET e._alertLock = true
WITH row, e
OPTIONAL MATCH (prev:Alert {cooldownKey: row.cooldownKey})
WHERE prev.firedAtMs > row.cooldownFromMs
WITH row, e, count(prev) AS recent
SET e._alertLock = null
WITH row, e, recent
WHERE recent = 0
OPTIONAL MATCH (dm:Profile)-[:MEMBER_OF {role: 'decision_maker'}]->(e)
WITH row, e, min(dm.profileId) AS dmId
CREATE (a:Alert {alertId: row.alertId})-[:ABOUT]->(e)
SET a += row.props, a.decisionMakerId = dmId
FOREACH (w IN row.webhooks |
  CREATE (:WebhookDelivery {deliveryId: row.alertId + '/' + w, alertId: row.alertId,
          webhook: w, status: 'pending', attempts: 0, nextAttemptMs: row.props.firedAtMs,
          createdAt: row.props.firedAt})-[:FOR]->(a))
RETURN a.alertId AS alertId, dmId AS decisionMakerId
