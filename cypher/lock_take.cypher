// Take (or renew) the named lock for $token until $untilMs, unless another holder's lease
// runs past $nowMs. The first SET is the lock: on Neo4j it takes the node's write lock, so a
// second taker waits there and reads the holder only after the first has committed.
MERGE (l:Lock {name: $name})
SET l.touchedAtMs = $nowMs
WITH l
WITH l, (l.holder IS NULL OR l.holder = $token OR l.expiresAtMs <= $nowMs) AS free
SET l.holder = CASE WHEN free THEN $token ELSE l.holder END,
    l.expiresAtMs = CASE WHEN free THEN $untilMs ELSE l.expiresAtMs END
RETURN free AS taken, l.holder AS holder, l.expiresAtMs AS expiresAtMs
