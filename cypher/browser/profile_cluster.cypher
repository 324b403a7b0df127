// Identity cluster of a profile: its records, how sure each is, the match edges between them
// :param profileId => 'PR-...'
MATCH (p:Profile {profileId: $profileId})<-[r:RESOLVES_TO]-(c:Customer)
OPTIONAL MATCH (c)-[m:MATCHES]->(o:Customer)-[:RESOLVES_TO]->(p)
RETURN p, r, c, m, o,
       c.customerId AS record, r.confidence AS confidence, o.customerId AS matchedTo,
       m.probability AS probability, m.status AS status, m.explanation AS explanation
ORDER BY record, matchedTo
