UNWIND $rows AS row
MATCH (i:Interaction {interactionId: row.interactionId})
MERGE (d:Device {deviceId: row.deviceId})
MERGE (i)-[:VIA]->(d)
