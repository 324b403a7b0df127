// Households: the current memberships of the profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN p.profileId AS profileId, h.householdId AS householdId
