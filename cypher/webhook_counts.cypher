// Webhook deliveries by status, for `idgraph deliver`'s report.
MATCH (d:WebhookDelivery)
RETURN d.status AS status, count(d) AS n
ORDER BY status
