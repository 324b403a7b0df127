// API: households by key ($ids), with the decision-maker's contact fields (not the whole
// profile: its Customer DNA is most of it; consent: app/privacy/consent.py).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN properties(h) AS household,
       dm {.profileId, .firstName, .lastName, .email, .phone, .street, .city, .postcode}
         AS decisionMaker
