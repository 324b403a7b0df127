"""The storage interface: named Cypher queries read and written in batches, schema, close."""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from functools import cache, partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import BadValue, BulkUnsupported, StoreError
from app.store import marks
from app.store.batches import batched
from app.store.lock import StoreLock
from app.store.reads import NumberLists
from app.values import parameter_problem

if TYPE_CHECKING:
    from app.store.node_ids import NodeIds

# The queries ship inside the package: app/cypher is a link to the checkout's cypher/ folder
# (where they are edited), and a wheel holds the files themselves (pyproject.toml).
CYPHER_DIR = Path(__file__).resolve().parents[1] / "cypher"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

Row = dict[str, Any]

# A request's time budget (app/api/endpoint.py sets it): a read sent while it runs is given
# what is left of it as its timeout, so the store stops the query when the request gives up.
read_deadline: ContextVar[float | None] = ContextVar("read_deadline", default=None)


def read_timeout_s(default: float) -> float:
    """The timeout for a read sent now: the store's own, or what is left of the request's."""
    deadline = read_deadline.get()
    if deadline is None:
        return default
    return max(0.001, min(default, deadline - time.monotonic()))


def safe_identifier(value: str) -> str:
    """Return value if it may be spliced into Cypher as a label, type or property name."""
    if not IDENTIFIER.match(value):
        raise StoreError(f"{value!r} is not a valid identifier (letters, digits, _; max 64)")
    return value


# Query text -> its file's name, so that an error can name the query instead of showing
# its text (no Cypher in a message a user sees).
_NAMES: dict[str, str] = {}


def name_query(text: str, name: str) -> str:
    """Register a statement built in code (from validated names) under the name errors
    give it; returns the text."""
    _NAMES[text] = name
    return text


@cache
def load_cypher(name: str, backend: str) -> str:
    """Text of cypher/<backend>/<name>.cypher if that twin exists, else cypher/<name>.cypher."""
    if not _NAME.match(name):
        raise StoreError(f"{name!r} is not a query name")
    for path in (CYPHER_DIR / backend / f"{name}.cypher", CYPHER_DIR / f"{name}.cypher"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            _NAMES[text] = name
            return text
    raise StoreError(f"no query named {name!r} in {CYPHER_DIR}")


def query_name(text: str) -> str | None:
    """The name a statement was loaded or registered under (None: ad hoc)."""
    return _NAMES.get(text)


def query_label(text: str) -> str:
    """How an error names a query: its file's name, or 'an ad-hoc query'."""
    name = _NAMES.get(text)
    return f"query {name}" if name else "an ad-hoc query"


_WRITE_CLAUSE = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|REMOVE|FOREACH|LOAD\s+CSV|DROP)\b", re.IGNORECASE
)


def strip_cypher(text: str) -> str:
    """Cypher text without comments, with every string literal and backticked name emptied,
    so that words inside them are not mistaken for clauses."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c if c != "`" else "x")
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def write_clause(text: str) -> str | None:
    """The first clause of this Cypher that writes (CREATE, MERGE, SET, ...), or None."""
    m = _WRITE_CLAUSE.search(strip_cypher(text))
    return m.group(0).upper() if m else None


def query_names() -> list[str]:
    """Every common query name (the files at the top of cypher/)."""
    return sorted(p.stem for p in CYPHER_DIR.glob("*.cypher"))


# Reads read_many runs at once: two keep the store and this process both busy on two cores
# (three or five measured no faster).
READ_THREADS = 2


@dataclass
class WriteSummary:
    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0

    def add(self, other: WriteSummary) -> None:
        self.nodes_created += other.nodes_created
        self.nodes_deleted += other.nodes_deleted
        self.relationships_created += other.relationships_created
        self.relationships_deleted += other.relationships_deleted
        self.properties_set += other.properties_set


@dataclass(frozen=True)
class Key:
    """A uniquely keyed node label."""

    label: str
    prop: str


# Every lookup key of the domain model gets a unique constraint (and so an index).
UNIQUE_KEYS: tuple[Key, ...] = (
    Key("Customer", "customerId"),
    Key("Profile", "profileId"),
    Key("Email", "email"),
    Key("Phone", "phone"),
    Key("Device", "deviceId"),
    Key("Account", "accountId"),
    Key("Address", "addressId"),
    Key("Household", "householdId"),
    Key("Interaction", "interactionId"),
    Key("Alert", "alertId"),
    Key("Lock", "name"),  # store.lock(name): app/store/lock.py
    Key("ResolveState", "name"),  # the last batch resolve's inputs (app/resolution/batch.py)
    Key("ChangeMark", "writer"),  # who changed the graph (app/store/marks.py)
    Key("StageRun", "name"),  # a batch stage's last complete run (app/store/marks.py)
    Key("AuditEvent", "auditId"),
    Key("Actor", "name"),  # who read personal data (READ_PII, app/audit.py)
    Key("AlertRule", "name"),
    Key("WebhookDelivery", "deliveryId"),
    # Identifiers a mapping declares (national IDs, loyalty numbers...) and their types.
    Key("Identifier", "identifierId"),
    Key("IdentifierType", "name"),
    Key("ComparedAttribute", "name"),  # attributes a mapping declares compared
    Key("BlockingKey", "name"),  # bk_* properties resolution has written (batch.py)
    Key("ChangeEvent", "eventId"),  # the change feed (app/changefeed.py)
    # Access and privacy (docs/security.md): API keys, consent statements, erased people.
    Key("ApiKey", "keyId"),
    Key("ConsentStatement", "statementId"),
    Key("Suppression", "keyHash"),
)


def key_of(label: str) -> Key:
    """The unique key of a label of the domain model (UNIQUE_KEYS)."""
    return next(k for k in UNIQUE_KEYS if k.label == label)


# Non-unique properties that queries filter on.
INDEXES: tuple[Key, ...] = (
    Key("Customer", "source"),
    Key("Profile", "lastName"),  # search by name (app/search.py)
    Key("Interaction", "ts"),
    # (The resolver's blocking keys, bk_* on Customer, get their indexes when a model that
    # uses them resolves: app/resolution/batch.py.)
    # Alerts: cooldown check, listing by entity or status, the delivery worker's queue.
    Key("Alert", "cooldownKey"),
    Key("Alert", "entityId"),
    Key("Alert", "status"),
    Key("WebhookDelivery", "status"),
    Key("ChangeEvent", "atMs"),
    Key("AuditEvent", "atUs"),  # the audit trail, newest first
)


# Unique key properties: a write's parameter of one of these names holds a key (the queries
# pass keys under their property's name), checked by check_parameters.
KEY_PROPERTIES: frozenset[str] = frozenset(k.prop for k in UNIQUE_KEYS)


def batch_stage[**P, R](stage: Callable[P, R]) -> Callable[P, R]:
    """A function that writes much, run inside its store's batch_stage() (the store is its
    first argument)."""

    @wraps(stage)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        store = args[0] if args else kwargs["store"]
        assert isinstance(store, GraphStore), "a batch stage takes its store first"
        with store.batch_stage():
            return stage(*args, **kwargs)

    return run


def check_parameters(params: Mapping[str, Any] | None, write: bool) -> None:
    """Refuse, before it reaches the backend, a value no backend may be given: a NUL byte in
    any text, or in a write a key value that is not a usable key (app/values.py). Both
    backends run it, so one input gets one answer whatever the store."""
    if params:
        problem = parameter_problem(params, KEY_PROPERTIES, write)
        if problem:
            raise BadValue(f"value refused before it reached the store: {problem}")


@dataclass
class Schema:
    unique: Sequence[Key] = UNIQUE_KEYS
    indexes: Sequence[Key] = INDEXES
    created: list[str] = field(default_factory=list)


@dataclass
class BulkNodes:
    """Nodes of one label for a bulk load: each row's properties, its key among them."""

    label: str
    key: str
    rows: list[Row]


def set_on_new(props: Mapping[str, Any]) -> dict[str, Any]:
    """What `SET n += props` leaves on a new node or relationship: a null sets nothing (the
    bulk paths' rows stand for the rows of the queries that create them)."""
    return {k: v for k, v in props.items() if v is not None}


@dataclass
class BulkEdges:
    """Relationships of one type for a bulk load: (start key, end key, properties)."""

    type: str
    start: Key
    end: Key
    rows: list[tuple[Any, Any, Row]]


class GraphStore(ABC):
    """A graph database reached by named Cypher queries. One subclass per backend."""

    backend: str = ""
    has_bulk_path = False  # bulk_load works (a first load may use it)

    def cypher(self, name: str) -> str:
        return load_cypher(name, self.backend)

    @abstractmethod
    def run_text(
        self, text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        """Run Cypher text; rows come back as dicts of plain values."""

    def noted_write(self, text: str) -> None:
        """A backend calls this after each write it sends (also one that failed), so the
        change marks see every write (app/store/marks.py)."""
        marks.noted(self, query_name(text))

    def read(self, name: str, **params: Any) -> list[Row]:
        rows, _ = self.run_text(self.cypher(name), params, write=False)
        return list(rows)

    def read_number_lists(self, name: str, **params: Any) -> NumberLists:
        """A query whose first column is a key and whose others are lists of numbers (no
        nulls), for big reads: backends may move them faster than rows of values."""
        return NumberLists.from_rows(self.read(name, **params))

    def read_many(self, queries: Sequence[tuple[str, Mapping[str, Any]]]) -> list[list[Row]]:
        """Independent reads (name, parameters), their rows in the order given. They run
        READ_THREADS at a time, so the store answers one while this process parses
        another's rows (Group DNA's five reads per batch of households: 4.0 -> 2.7 s at
        100k). Each runs in the caller's context (a request's time budget holds)."""
        return self.in_parallel([partial(self.read, name, **params) for name, params in queries])

    def in_parallel[T](self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Reads (calls of this store's read methods) run as read_many runs them."""
        if len(calls) < 2:
            return [call() for call in calls]
        with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="store-read") as pool:
            futures = [pool.submit(copy_context().run, call) for call in calls]
            return [f.result() for f in futures]

    def read_texts(self, text: str, **params: Any) -> dict[str, list[Any]]:
        """A read (query text) whose every column is a property stored as text, as columns:
        name -> values in row order, None where missing; {} when nothing matched. Backends
        may move texts faster than typed values (FalkorDB: see its override)."""
        rows, _ = self.run_text(text, params, write=False)
        names = list(rows[0]) if rows else []
        return {name: [row[name] for row in rows] for name in names}

    def read_one(self, name: str, **params: Any) -> Row | None:
        rows = self.read(name, **params)
        return rows[0] if rows else None

    def write(self, name: str, **params: Any) -> WriteSummary:
        return self.run_text(self.cypher(name), params, write=True)[1]

    def write_batches(
        self,
        name: str,
        rows: Iterable[Row],
        batch_size: int,
        on_batch: Callable[[int], None] | None = None,
        **params: Any,
    ) -> WriteSummary:
        """UNWIND-style write: the query takes $rows; rows are sent batch_size at a time."""
        text = self.cypher(name)
        batches = ((text, {**params, "rows": b}, len(b)) for b in batched(rows, batch_size))
        return self.write_prepared(batches, on_batch)

    def write_prepared(
        self,
        batches: Iterable[tuple[str, dict[str, Any], int]],
        on_batch: Callable[[int], None] | None = None,
    ) -> WriteSummary:
        """Writes (text, parameters, rows in it), in order; `on_batch(rows)` after each."""
        total = WriteSummary()
        for text, params, n in batches:
            total.add(self.run_text(text, params, write=True)[1])
            if on_batch:
                on_batch(n)
        return total

    def set_properties(
        self,
        name: str,
        label: str,
        key: str,
        rows: Iterable[tuple[str, Mapping[str, Any]]],
        batch_size: int,
        on_batch: Callable[[int], None] | None = None,
    ) -> WriteSummary:
        """Set each row's properties (a null removes one) on the `label` node whose `key` is
        the row's key, as `SET n += props` would, in the form app/store/properties.py
        chooses; `name` names the write in errors. A key is checked as a key, as in any
        write."""
        from app.store.properties import property_writes

        def batches() -> Iterator[tuple[str, dict[str, Any], int]]:
            for w in property_writes(name, label, key, rows, batch_size):
                if w.keys is not None:
                    check_parameters({key: w.keys}, True)
                yield w.text, w.params, w.count

        return self.write_prepared(batches(), on_batch)

    def write_rows(
        self, name: str, rows: Iterable[Row], batch_size: int, **params: Any
    ) -> tuple[list[Row], WriteSummary]:
        """write_batches for a query that returns rows: every batch's rows, in order."""
        out: list[Row] = []
        total = WriteSummary()
        text = self.cypher(name)
        for batch in batched(rows, batch_size):
            got, summary = self.run_text(text, {**params, "rows": batch}, write=True)
            out.extend(got)
            total.add(summary)
        return out, total

    def lock(
        self,
        name: str,
        ttl_s: float = 60.0,
        wait_s: float = 30.0,
        poll_s: float = 0.05,
        renew: bool = True,
    ) -> StoreLock:
        """A lock named `name` held by one process (or thread) at a time, across every process
        using this store: `with store.lock("resolution", ttl_s=120): ...`. The lease (ttl_s)
        is renewed in the background while held (unless renew=False) and frees the lock if
        the holder dies; waiting longer than wait_s raises LockTimeout; a holder whose lease
        ran out and was taken gets LockLost when it leaves (app/store/lock.py)."""
        return StoreLock(self, name, ttl_s, wait_s, poll_s, renew)

    def bulk_load(
        self,
        nodes: Sequence[BulkNodes],
        edges: Sequence[BulkEdges],
        ids: dict[str, NodeIds] | None = None,
    ) -> WriteSummary:
        """Create these nodes and relationships (none of which exist yet) by the store's own
        bulk path, far faster than queries. `ids`: per label, the stored nodes' IDs where
        that label already has nodes (the store fills it in: app/store/falkordb_bulk.py).
        Raises BulkUnsupported where there is none (the caller then writes with queries)."""
        raise BulkUnsupported(f"the {self.backend} store has no bulk path")

    @abstractmethod
    def setup_schema(self, schema: Schema | None = None) -> list[str]:
        """Create every constraint and index that is missing; return what was created."""

    def compact(self) -> bool:
        """Rewrite the store's own files so that deleted data is no longer in them (after an
        erasure). True when done; backends whose files the server manages return False
        (docs/security.md says what an operator does there)."""
        return False

    @contextmanager
    def batch_stage(self) -> Iterator[None]:
        """Around a stage that writes much (a load, a resolve, households, a metrics batch): a
        backend may put off its own housekeeping that costs memory under writes until the
        stage ends (FalkorStore: the append-only file's rewrite). Nothing for Neo4j."""
        yield

    def settle(self) -> float:
        """After bulk writes, leave the store as fast for small writes as a freshly started
        one; the seconds it took. Only the embedded store needs it (FalkorStore.settle);
        a Neo4j server has nothing to do."""
        return 0.0

    def mark_serving(self) -> None:
        """This process answers requests (the API does this as it starts): a bulk writer
        that closes beside it leaves the store settled for its small writes. Nothing to do
        for a Neo4j server."""
        return None

    @abstractmethod
    def ping(self) -> bool:
        """True when the store answers a trivial query."""

    def revive(self) -> bool:
        """Start the store again if it is an embedded one whose process died; True when it
        did. A server of its own (Neo4j) is restarted by its operator: nothing to do."""
        return False

    def supervision(self) -> dict[str, Any] | None:
        """What supervision did (restarts, the last one's time and reason), or None."""
        return None

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship (tests and demo resets)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
