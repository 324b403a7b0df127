// As alert_list, about one profile or household (by its id, indexed on the alert).
MATCH (a:Alert {entityId: $entityId})
WHERE ($status IS NULL OR a.status = $status)
  AND ($afterMs IS NULL OR a.firedAtMs < $afterMs
       OR (a.firedAtMs = $afterMs AND a.alertId < $afterId))
WITH a ORDER BY a.firedAtMs DESC, a.alertId DESC
WITH collect(properties(a))[..$limit] AS page
UNWIND page AS alert
RETURN alert
