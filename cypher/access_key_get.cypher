// One API key by id, to check a presented key (every request: a revoked key is refused next).
MATCH (k:ApiKey {keyId: $keyId})
RETURN k.keyId AS keyId, k.name AS name, k.roles AS roles, k.hash AS hash,
       k.expiresAtS AS expiresAtS, k.revokedAt AS revokedAt, k.customerId AS customerId
