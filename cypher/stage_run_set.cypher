// Recorded after a complete run of a batch stage ($stage; see stage_run).
MERGE (s:StageRun {name: $stage})
SET s.marks = $marks, s.key = $key, s.summary = $summary
