// One record as stored: its properties, its devices (latest use first) and its accounts,
// for a partial update to start from (app/ingestion/partial.py).
MATCH (c:Customer {customerId: $customerId})
OPTIONAL MATCH (c)-[u:USES_DEVICE]->(d:Device)
WITH c, d, u ORDER BY u.lastSeen DESC, d.deviceId
WITH c, collect(d.deviceId) AS devices
OPTIONAL MATCH (c)-[h:HOLDS]->(a:Account)
WITH c, devices, a, h ORDER BY a.accountId
RETURN properties(c) AS props, devices,
       collect(CASE WHEN a IS NULL THEN null ELSE [a.accountId, h.role] END) AS accounts
