// Model edges from earlier runs that this run did not score above the floor.
MATCH (:Customer)-[m:MATCHES]->(:Customer)
WHERE m.status = 'auto' AND m.runId <> $runId
DELETE m
