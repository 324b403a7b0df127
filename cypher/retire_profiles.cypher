// A profile ID that no cluster kept points at its successor, so nothing downstream is left
// holding an ID without a path onwards.
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
SET p.status = 'merged', p.mergedInto = row.successor, p.updatedAt = row.at
