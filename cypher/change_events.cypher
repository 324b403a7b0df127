// Change events, newest first, after the keyset ($afterMs, $afterId) when given.
MATCH (e:ChangeEvent)
WHERE $afterMs IS NULL OR e.atMs < $afterMs OR (e.atMs = $afterMs AND e.eventId < $afterId)
WITH e ORDER BY e.atMs DESC, e.eventId DESC
WITH collect(properties(e))[..$limit] AS page
UNWIND page AS event
RETURN event
