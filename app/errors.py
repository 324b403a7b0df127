"""One base exception for the product; every message says what to do next."""


class IdGraphError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(IdGraphError):
    """Settings or a mapping file that cannot be used."""


class StoreError(IdGraphError):
    """The graph store is unreachable or refused a query."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or used as configured (down, wrong address, credentials or
    database name)."""


class StoreTimeout(StoreError):
    """A query ran past IDGRAPH_QUERY_TIMEOUT_S and the store stopped it."""


class StoreConflict(StoreError):
    """A write broke a uniqueness rule (another writer got there first, or a duplicate key)."""


class BulkUnsupported(StoreError):
    """The store has no bulk path (a load then writes with queries)."""


class InputError(IdGraphError):
    """Input that cannot be used: a file that cannot be read or does not fit its mapping, or
    an argument the caller can fix."""


class BadValue(InputError):
    """A value from outside the product refuses (app/values.py): a NUL byte, a key with a
    control character or too long, a list or object where one value is expected. The
    message names the field and the reason, never the whole value."""


class LockTimeout(StoreError):
    """A named store lock stayed held by another process for longer than the caller waits."""


class LockLost(StoreError):
    """A named store lock's lease ran out and another process took it."""


class IncompleteLoad(IdGraphError):
    """A file load that stopped part way (the store went away, the process was stopped): the
    message names the rows and the reason; running the same load again completes it."""
