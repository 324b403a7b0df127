// An account's attributes as a record or event row carries them (a mapping's
// accountAttributes, e.g. planMb). Only rows with some are sent; a blank leaves the property
// as it is, since other records share the account.
UNWIND $rows AS row
MERGE (a:Account {accountId: row.accountId})
SET a += row.props
