// bench/ingest.py's ceiling: the store's bare CREATE, one node with the properties of an
// event per row, no lookups (what no ingestion of the same rows can beat).
UNWIND $rows AS row
CREATE (i:BenchEvent {eventId: row.eventId})
SET i += row.props
