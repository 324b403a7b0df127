// Change marks (app/store/marks.py): every writer's mark.
MATCH (m:ChangeMark)
RETURN m.writer AS writer, m.token AS token, m.seq AS seq
