// Erasure: alerts about the person's profiles and their queued webhook deliveries (whose
// bodies are built from the alert); household alerts addressed to them lose the address.
OPTIONAL MATCH (d:WebhookDelivery)-[:FOR]->(:Alert)-[:ABOUT]->(p:Profile)
WHERE p.profileId IN $profiles
WITH collect(DISTINCT d) AS deliveries
FOREACH (d IN deliveries | DETACH DELETE d)
WITH size(deliveries) AS deliveries
OPTIONAL MATCH (a:Alert)-[:ABOUT]->(p:Profile)
WHERE p.profileId IN $profiles
WITH deliveries, collect(DISTINCT a) AS alerts
FOREACH (a IN alerts | DETACH DELETE a)
WITH deliveries, size(alerts) AS alerts
OPTIONAL MATCH (h:Alert)
WHERE h.decisionMakerId IN $profiles
WITH deliveries, alerts, collect(h) AS addressed
FOREACH (h IN addressed | SET h.decisionMakerId = null)
RETURN deliveries, alerts, size(addressed) AS addressed
