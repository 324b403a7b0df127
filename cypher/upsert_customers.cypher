// One row per source record. The record is the truth for its own properties.
UNWIND $rows AS row
MERGE (c:Customer {customerId: row.customerId})
SET c += row.props
REMOVE c.stub
