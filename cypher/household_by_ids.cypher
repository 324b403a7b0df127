// API: households by key ($ids), with the decision-maker and the consent their records state.
UNWIND $ids AS hid
MATCH (h:Household {householdId: hid})
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN properties(h) AS household, properties(dm) AS decisionMaker,
       [(dm)<-[:RESOLVES_TO]-(c:Customer) WHERE c.marketingConsent IS NOT NULL
        | [c.customerId, c.marketingConsent]] AS consents
