// How many audit events the trail's filter selects (audit_trail.cypher, without paging).
MATCH (e:AuditEvent)
WHERE ($ids IS NULL OR any(x IN coalesce(e.entityIds, []) WHERE x IN $ids))
  AND ($actor IS NULL OR e.actor = $actor)
  AND ($action IS NULL OR e.action = $action)
  AND ($since IS NULL OR e.atUs >= $since)
RETURN count(e) AS n
