// A batch stage's last complete run (app/store/marks.py): the marks of the writers it reads
// and its key as they were when it began, and its summary (JSON).
MATCH (s:StageRun {name: $stage})
RETURN s.marks AS marks, s.key AS key, s.summary AS summary
