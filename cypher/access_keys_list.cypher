// Every API key, newest first, without its hash.
MATCH (k:ApiKey)
RETURN k.keyId AS keyId, k.name AS name, k.roles AS roles, k.createdAt AS createdAt,
       k.createdBy AS createdBy, k.expiresAt AS expiresAt, k.expiresAtS AS expiresAtS,
       k.revokedAt AS revokedAt, k.revokedBy AS revokedBy, k.customerId AS customerId
ORDER BY createdAt DESC, keyId
