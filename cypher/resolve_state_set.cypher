// Recorded after a batch resolve (see resolve_state).
MERGE (s:ResolveState {name: 'batch'})
SET s.digest = $digest, s.summary = $summary, s.at = $at
