// The audit trail newest first: events about one of $ids (null: any), by $actor, of
// one of $actions, at or after $since (microseconds; each null: no bound), keyset-paged after
// ($afterUs, $afterId); $limit is the page size + 1.
MATCH (e:AuditEvent)
WHERE ($ids IS NULL OR any(x IN coalesce(e.entityIds, []) WHERE x IN $ids))
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($actions IS NULL OR e.action IN $actions)
  AND ($since IS NULL OR e.atUs >= $since)
  AND ($afterUs IS NULL OR e.atUs < $afterUs OR (e.atUs = $afterUs AND e.auditId < $afterId))
WITH e ORDER BY e.atUs DESC, e.auditId DESC
WITH collect(e)[..$limit] AS page
UNWIND page AS e
RETURN e.auditId AS auditId, e.at AS at, e.atUs AS atUs, e.actor AS actor,
       e.action AS action, e.entityIds AS entityIds, e.reason AS reason,
       e.before AS before, e.after AS after
