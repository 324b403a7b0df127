// Change marks (app/store/marks.py): move these writers' marks on ($writers), each made with
// a new token the first time.
UNWIND $writers AS w
MERGE (m:ChangeMark {writer: w})
SET m.seq = coalesce(m.seq, 0) + 1, m.token = coalesce(m.token, $token)
