// An account as `app.accounts.update_account` finds it: its properties, the records that
// hold it and the profiles they resolve to (whose households' Group DNA reads the account).
// No row when the graph has no such account.
MATCH (a:Account {accountId: $accountId})
OPTIONAL MATCH (a)<-[:HOLDS]-(c:Customer)
OPTIONAL MATCH (c)-[:RESOLVES_TO]->(p:Profile)
RETURN properties(a) AS props, collect(DISTINCT c.customerId) AS customerIds,
       collect(DISTINCT p.profileId) AS profileIds
