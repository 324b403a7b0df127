// API: undecided (auto) pairs with $min <= probability <= $max, most uncertain first:
// distance from 0.5 ascending, then a, then b. Keyset after the pair ($afterA, $afterB)
// whose probability was $afterP. The cursor carries that stored probability, not the
// distance: FalkorDB returns doubles to 15 significant digits, so a distance computed here
// and sent back would not compare equal to itself; both distances are computed here instead.
// Every edge in the band is read and sorted before the slice to $limit (page size + 1): no
// index covers relationship properties, and FalkorDB's LIMIT takes no parameter that may be
// null.
MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
WHERE m.status = 'auto' AND m.probability >= $min AND m.probability <= $max
WITH a.customerId AS a, b.customerId AS b, m, abs(m.probability - 0.5) AS d,
     abs($afterP - 0.5) AS afterD
WHERE $afterP IS NULL OR d > afterD
   OR (d = afterD AND (a > $afterA OR (a = $afterA AND b > $afterB)))
WITH a, b, m, d
ORDER BY d, a, b
WITH collect({a: a, b: b, props: properties(m)})[..$limit] AS page
UNWIND page AS row
RETURN row.a AS a, row.b AS b, row.props AS match
