// Metrics: the time of the newest interaction (epoch ms), for replaying history "as of" it.
MATCH (i:Interaction)
RETURN max(i.ts) AS ts
