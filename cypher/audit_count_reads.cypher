// How many reads of personal data (READ_PII relationships, one per event) the trail's
// filter selects (audit_trail_reads.cypher, without paging).
MATCH (a:Actor)-[r:READ_PII]->()
WHERE ($ids IS NULL OR any(x IN coalesce(r.entityIds, []) WHERE x IN $ids))
  AND ($actor IS NULL OR a.name = $actor)
  AND ($actions IS NULL OR r.action IN $actions)
  AND ($since IS NULL OR r.atUs >= $since)
RETURN count(r) AS n
