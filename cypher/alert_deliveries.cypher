// The webhook deliveries of each alert in $ids.
UNWIND $ids AS id
MATCH (d:WebhookDelivery)-[:FOR]->(:Alert {alertId: id})
RETURN id AS alertId, properties(d) AS delivery
ORDER BY d.webhook
