// Node counts per label and relationship counts per type, for summaries and tests.
MATCH (n)
WITH labels(n)[0] AS label, count(*) AS n
RETURN label, n
ORDER BY label
