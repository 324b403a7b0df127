// Households: new current memberships, of profiles with no current edge to that household
// (household_link_members' edge, created without looking for one).
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
MATCH (h:Household {householdId: row.householdId})
CREATE (p)-[m:MEMBER_OF {status: 'current'}]->(h)
SET m.since = row.at, m.role = row.role, m.reason = row.reason, m.evidence = row.evidence,
    m.confidence = row.confidence, m.updatedAt = row.at
