// bench/ingest.py's ceiling for upserts of an event's shape: per row 3 nodes and 2
// relationships MERGEd by indexed keys, as the MERGE-based upsert of an event writes them.
UNWIND $rows AS row
MERGE (c:BenchPerson {personId: row.personId})
MERGE (i:BenchEvent {eventId: row.eventId})
SET i += row.props
MERGE (d:BenchDevice {deviceId: row.deviceId})
MERGE (c)-[:BENCH_DID]->(i)
MERGE (i)-[:BENCH_VIA]->(d)
