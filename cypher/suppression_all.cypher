// Every suppressed key hash (a load checks its records against them).
MATCH (s:Suppression)
RETURN s.keyHash AS keyHash
