// Uncertain pairs: undecided match edges within $margin of the threshold, closest first
// :param threshold => 0.25   :param margin => 0.1
MATCH (a:Customer)-[m:MATCHES]->(b:Customer)
WHERE m.status = 'auto' AND abs(m.probability - $threshold) <= $margin
RETURN a, m, b,
       a.customerId AS record, b.customerId AS otherRecord, m.probability AS probability,
       m.explanation AS explanation
ORDER BY abs(m.probability - $threshold), record, otherRecord
LIMIT 50
