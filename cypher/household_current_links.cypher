// Households: every current membership with what it stores (to write only what changed).
MATCH (p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN p.profileId AS profileId, h.householdId AS householdId, m.role AS role,
       m.reason AS reason, m.evidence AS evidence, m.confidence AS confidence
