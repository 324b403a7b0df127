// An API key: only the SHA-256 of its secret part is stored.
CREATE (k:ApiKey {keyId: $keyId})
SET k.name = $keyName, k.roles = $roles, k.hash = $hash, k.createdAt = $createdAt,
    k.createdBy = $createdBy, k.expiresAt = $expiresAt, k.expiresAtS = $expiresAtS,
    k.customerId = $customerId
RETURN k.keyId AS keyId
