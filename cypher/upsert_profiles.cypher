UNWIND $rows AS row
MERGE (p:Profile {profileId: row.profileId})
ON CREATE SET p.createdAt = row.at
SET p += row.props, p.status = 'active', p.updatedAt = row.at
REMOVE p.mergedInto
