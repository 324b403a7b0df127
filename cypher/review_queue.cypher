// The stewards' review queue: MATCHES edges whose probability is in [$min, $max] (a pair the
// model never scored counts as 0), undecided ($decided false), decided (true) or either
// (null); with a record from one of $sources (null: any); whose larger profile of the two
// records holds $minSize to $maxSize records (null: no bound). Most uncertain first: distance
// from 0.5, then a, then b. Returns the whole count and one page: the rows after the pair
// ($afterA, $afterB) whose probability was $afterP, at most $limit (page size + 1).
// The cursor carries the stored probability, and both distances are computed here: FalkorDB
// returns doubles to 15 significant digits, so a distance sent back would not equal itself.
MATCH (x:Customer)-[m:MATCHES]->(y:Customer)
WITH x, y, m, coalesce(m.probability, 0.0) AS p
WHERE p >= $min AND p <= $max
  AND ($decided IS NULL OR ($decided AND m.status <> 'auto')
       OR (NOT $decided AND m.status = 'auto'))
  AND ($sources IS NULL OR x.source IN $sources OR y.source IN $sources)
OPTIONAL MATCH (x)-[:RESOLVES_TO]->(px:Profile)
OPTIONAL MATCH (y)-[:RESOLVES_TO]->(py:Profile)
WITH x, y, m, p, coalesce(px.size, 1) AS sx, coalesce(py.size, 1) AS sy
WITH x, y, m, p, CASE WHEN sx >= sy THEN sx ELSE sy END AS size
WHERE ($minSize IS NULL OR size >= $minSize) AND ($maxSize IS NULL OR size <= $maxSize)
WITH x.customerId AS a, y.customerId AS b, m, abs(p - 0.5) AS d, size
ORDER BY d, a, b
WITH collect({a: a, b: b, d: d, size: size, props: properties(m)}) AS rows,
     abs($afterP - 0.5) AS afterD
RETURN size(rows) AS total,
       [r IN rows WHERE $afterP IS NULL OR r.d > afterD
          OR (r.d = afterD AND (r.a > $afterA OR (r.a = $afterA AND r.b > $afterB)))][..$limit]
       AS page
