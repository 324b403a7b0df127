// Which of these key hashes are suppressed (one record in real time).
UNWIND $hashes AS h
MATCH (s:Suppression {keyHash: h})
RETURN s.keyHash AS keyHash
