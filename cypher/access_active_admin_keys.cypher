// How many keys with the admin role are neither revoked nor expired ($now: epoch seconds).
MATCH (k:ApiKey)
WHERE k.revokedAt IS NULL AND k.expiresAtS > $now AND 'admin' IN k.roles
RETURN count(k) AS n
