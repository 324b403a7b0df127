// Alerts newest first, optionally with one status, keyset-paged after ($afterMs, $afterId);
// $limit is the page size + 1 (FalkorDB's LIMIT takes no parameter that may be null).
MATCH (a:Alert)
WHERE ($status IS NULL OR a.status = $status)
  AND ($afterMs IS NULL OR a.firedAtMs < $afterMs
       OR (a.firedAtMs = $afterMs AND a.alertId < $afterId))
WITH a ORDER BY a.firedAtMs DESC, a.alertId DESC
WITH collect(properties(a))[..$limit] AS page
UNWIND page AS alert
RETURN alert
