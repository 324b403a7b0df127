UNWIND $rows AS row
MATCH (c:Customer {customerId: row.customerId})
MERGE (d:Device {deviceId: row.deviceId})
MERGE (c)-[u:USES_DEVICE]->(d)
SET u.firstSeen = row.seen, u.lastSeen = row.seen
