// bench/pages.py only: every profile with its member records.
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN p.profileId AS p, collect(c.customerId) AS cs
