// Metrics: set (or, with null, remove) metric properties on profiles.
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
SET p += row.props
