// Acknowledge an alert. Acknowledging again keeps the first who and when.
MATCH (a:Alert {alertId: $alertId})
WITH a, a.status = 'open' AS wasOpen
SET a.acknowledgedBy = CASE WHEN wasOpen THEN $actor ELSE a.acknowledgedBy END,
    a.acknowledgedAt = CASE WHEN wasOpen THEN $at ELSE a.acknowledgedAt END,
    a.status = 'acknowledged'
RETURN properties(a) AS alert
