// Revoke a key (again: no change); its sessions end with it.
MATCH (k:ApiKey {keyId: $keyId})
SET k.revokedAt = coalesce(k.revokedAt, $at), k.revokedBy = coalesce(k.revokedBy, $by)
RETURN k.keyId AS keyId, k.revokedAt AS revokedAt
