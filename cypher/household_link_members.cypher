// Households: the current membership of a profile, with its role and the evidence that put
// it there. Ended memberships are separate edges (history), so a profile that comes back
// gets a new current edge.
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
MATCH (h:Household {householdId: row.householdId})
MERGE (p)-[m:MEMBER_OF {status: 'current'}]->(h)
ON CREATE SET m.since = row.at
SET m.role = row.role, m.reason = row.reason, m.evidence = row.evidence,
    m.confidence = row.confidence, m.updatedAt = row.at
