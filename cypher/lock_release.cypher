// Release the named lock if $token still holds it (a lease that ran out may have been taken
// by another since). As in lock_take, the SET comes before the holder is read.
MATCH (l:Lock {name: $name})
SET l.touchedAtMs = $nowMs
WITH l
WHERE l.holder = $token
SET l.holder = null, l.expiresAtMs = null
RETURN count(l) AS released
