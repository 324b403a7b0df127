// API: the current household of each profile in $ids, as household_by_ids gives it (with
// its decision-maker's contact fields), in one read instead of the household's id first.
UNWIND $ids AS pid
MATCH (:Profile {profileId: pid})-[cur:MEMBER_OF]->(h:Household)
WHERE cur.status = 'current'
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN pid AS profileId,
       properties(h) AS household,
       dm {.profileId, .firstName, .lastName, .email, .phone, .street, .city, .postcode}
         AS decisionMaker
