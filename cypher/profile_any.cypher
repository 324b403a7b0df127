// Whether the graph holds any profile, active or retired: none means a new profile's ID
// cannot be one used before (app/resolution/batch.py).
MATCH (p:Profile)
RETURN p.profileId AS profileId
LIMIT 1
