// How many audit events the trail's filter selects (audit_trail.cypher, without paging).
MATCH (e:AuditEvent)
WHERE ($ids IS NULL OR any(x IN coalesce(e.entityIds, []) WHERE x IN $ids))
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($actions IS NULL OR e.action IN $actions)
  AND ($since IS NULL OR e.atUs >= $since)
RETURN count(e) AS n
