// API: households by key ($ids), with the decision-maker (consent: app/privacy/consent.py).
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN properties(h) AS household, properties(dm) AS decisionMaker
