// bench/alerts.py: profiles with the properties collection-scoped rules filter on.
UNWIND $rows AS row
CREATE (p:Profile {profileId: row.profileId})
SET p += row.props
