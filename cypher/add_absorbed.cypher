// A steward merge: the surviving profile lists the IDs it absorbed.
MATCH (p:Profile {profileId: $profileId})
SET p.absorbed = coalesce(p.absorbed, []) + $absorbed
