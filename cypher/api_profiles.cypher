// API: profiles by key ($ids), one row each, retired ones included; absent keys give no row.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
RETURN properties(p) AS profile
