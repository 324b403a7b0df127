// API: the devices each customer in $ids uses, with first and last sighting.
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[u:USES_DEVICE]->(d:Device)
RETURN cid AS customerId, d.deviceId AS deviceId, u.firstSeen AS firstSeen, u.lastSeen AS lastSeen
