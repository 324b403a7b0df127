// The audit trail's reads of personal data (READ_PII relationships, one per event:
// record_read.cypher): audit_trail.cypher's filter, order and paging. LIMIT, not
// collect()[..$limit]: the store keeps the newest $limit as it goes (205 -> 107 ms over
// 126,500 reads); $limit is never null here.
MATCH (a:Actor)-[r:READ_PII]->()
WHERE ($ids IS NULL OR any(x IN coalesce(r.entityIds, []) WHERE x IN $ids))
  AND ($actor IS NULL OR a.name = $actor)
  AND ($actions IS NULL OR r.action IN $actions)
  AND ($since IS NULL OR r.atUs >= $since)
  AND ($afterUs IS NULL OR r.atUs < $afterUs OR (r.atUs = $afterUs AND r.auditId < $afterId))
RETURN r.auditId AS auditId, r.at AS at, r.atUs AS atUs, a.name AS actor, r.action AS action,
       r.entityIds AS entityIds, r.reason AS reason, r.before AS before, r.after AS after
ORDER BY atUs DESC, auditId DESC
LIMIT $limit
