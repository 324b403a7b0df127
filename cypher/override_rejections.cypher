// A steward's merge overrides earlier rejections between the records it joins: those pairs
// become undecided again (the override is kept on the edge).
UNWIND $ids AS x
MATCH (a:Customer {customerId: x})-[m:MATCHES]->(b:Customer)
WHERE m.status = 'rejected' AND b.customerId IN $ids
SET m.status = 'auto', m.overriddenBy = $actor, m.overriddenAt = $at, m.reason = $reason
