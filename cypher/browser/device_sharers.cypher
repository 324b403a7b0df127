// Who shares this device: its records, their profiles and households
// :param deviceId => '...'
MATCH (d:Device {deviceId: $deviceId})<-[u:USES_DEVICE]-(c:Customer)
OPTIONAL MATCH (c)-[r:RESOLVES_TO]->(p:Profile)
OPTIONAL MATCH (p)-[mo:MEMBER_OF {status: 'current'}]->(h:Household)
RETURN d, u, c, r, p, mo, h,
       c.customerId AS record, u.lastSeen AS lastSeen, p.profileId AS profile,
       h.householdId AS household
ORDER BY record
