// bench/alerts.py: households, each with one decision-maker profile.
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.decisionMaker})
CREATE (p)-[:MEMBER_OF {role: 'decision_maker'}]->(:Household {householdId: row.householdId})
