// Households: a profile left a household. The edge stays as history, ended; its role moves
// to endedRole, so `MEMBER_OF {role: 'decision_maker'}` always means the current one.
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})-[m:MEMBER_OF]->(h:Household {householdId: row.householdId})
WHERE m.status = 'current'
SET m.status = 'ended', m.until = row.at, m.endReason = row.reason, m.endedRole = m.role
REMOVE m.role
