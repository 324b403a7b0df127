// Data playback: every interaction of these records ($ids).
UNWIND $ids AS cid
MATCH (:Customer {customerId: cid})-[:PERFORMED]->(i:Interaction)
RETURN cid AS customerId, i.interactionId AS interactionId, i.type AS type,
       i.channel AS channel, i.occurredAt AS occurredAt, i.value AS value
