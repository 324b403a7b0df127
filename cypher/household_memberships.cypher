// Households: every current membership (profile -> household).
MATCH (p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN p.profileId AS profileId, h.householdId AS householdId
