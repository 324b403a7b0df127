// Records that bridge two profiles: match edges and shared identifiers between their records
// :param profileId => 'PR-...'   :param otherProfileId => 'PR-...'
MATCH (a:Profile {profileId: $profileId})<-[:RESOLVES_TO]-(x:Customer),
      (b:Profile {profileId: $otherProfileId})<-[:RESOLVES_TO]-(y:Customer)
OPTIONAL MATCH (x)-[m:MATCHES]-(y)
OPTIONAL MATCH (x)-[rx:HAS_EMAIL|HAS_PHONE|USES_DEVICE|HOLDS|LIVES_AT]->(shared)
               <-[ry:HAS_EMAIL|HAS_PHONE|USES_DEVICE|HOLDS|LIVES_AT]-(y)
WITH a, b, x, y, m, rx, ry, shared
WHERE m IS NOT NULL OR shared IS NOT NULL
RETURN a, b, x, y, m, rx, ry, shared,
       x.customerId AS record, y.customerId AS otherRecord, m.probability AS probability,
       m.status AS status, type(rx) AS sharedBy, labels(shared)[0] AS sharedKind
ORDER BY record, otherRecord, sharedBy
