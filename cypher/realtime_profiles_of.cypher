UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})-[r:RESOLVES_TO]->(p:Profile)
RETURN c.customerId AS customerId, p.profileId AS profileId, p.size AS size
