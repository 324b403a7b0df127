// A profile and its members; a merged profile names its successor.
MATCH (p:Profile {profileId: $profileId})
OPTIONAL MATCH (c:Customer)-[r:RESOLVES_TO]->(p)
RETURN p.profileId AS profileId, p.status AS status, p.mergedInto AS mergedInto,
       [x IN collect({customerId: c.customerId, confidence: r.confidence})
        WHERE x.customerId IS NOT NULL] AS members
