// Metrics: some properties of some profiles: rows of {profileId, keys}; the values come
// back in the order of keys (the history lists of the metrics that changed).
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
RETURN row.profileId AS profileId, [k IN row.keys | p[k]] AS values
