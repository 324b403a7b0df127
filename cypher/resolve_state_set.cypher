// Recorded after a batch run of a stage ($stage; see resolve_state).
MERGE (s:ResolveState {name: $stage})
SET s.digest = $digest, s.summary = $summary, s.at = $at
