// Households of at least $minMembers current members, with each member's role
// :param minMembers => 3
MATCH (h:Household {status: 'active'})<-[mo:MEMBER_OF {status: 'current'}]-(p:Profile)
WITH h, collect({p: p, mo: mo}) AS members
WHERE size(members) >= $minMembers
UNWIND members AS member
WITH h, size(members) AS size, member.p AS p, member.mo AS mo
RETURN h, mo, p,
       h.householdId AS household, size, p.profileId AS profile, mo.role AS role
ORDER BY size DESC, household, role, profile
