"""Neo4j through the official driver: execute_query with database_, read routing and a query
timeout; driver errors become the product's store errors (app/errors.py)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import neo4j
from neo4j import exceptions as nx

from app.errors import StoreConflict, StoreError, StoreTimeout, StoreUnavailable
from app.store import marks
from app.store.base import (
    GraphStore,
    Key,
    Row,
    Schema,
    WriteSummary,
    check_parameters,
    name_query,
    query_label,
    read_timeout_s,
    safe_identifier,
)

log = logging.getLogger(__name__)

SHOW_INDEXES = "SHOW INDEXES YIELD name, state, type, labelsOrTypes, properties, owningConstraint"
SHOW_CONSTRAINTS = "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties"
SCHEMA_QUERIES = (SHOW_INDEXES, SHOW_CONSTRAINTS)
PING = "RETURN 1 AS ok"
PING_TIMEOUT_S = 2.0
_TIMED_OUT = ("TransactionTimedOut", "TransactionTimedOutClientConfiguration")


def constraint_statement(key: Key) -> str:
    label, prop = safe_identifier(key.label), safe_identifier(key.prop)
    return (
        f"CREATE CONSTRAINT {label.lower()}_{prop}_unique IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
    )


def index_statement(key: Key) -> str:
    label, prop = safe_identifier(key.label), safe_identifier(key.prop)
    return f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"


def schema_statements(schema: Schema | None = None) -> list[str]:
    """Every DDL statement setup_schema sends, in order (also what scripts/lint_cypher.py
    checks against Neo4j's front end)."""
    schema = schema or Schema()
    return [
        *(constraint_statement(k) for k in schema.unique),
        *(index_statement(k) for k in schema.indexes),
    ]


def store_error(exc: Exception, uri: str, database: str, text: str | None = None) -> StoreError:
    """One of the product's store errors for a driver exception; unavailability and timeouts
    say what to check in one line, a refused query names the query."""
    first = str(getattr(exc, "message", None) or exc).strip().splitlines()
    why = first[0] if first else type(exc).__name__
    code = str(getattr(exc, "code", "") or "")
    if isinstance(exc, nx.AuthError):
        return StoreUnavailable(
            f"Neo4j at {uri} refused the credentials ({why}); check IDGRAPH_NEO4J_USER and "
            "IDGRAPH_NEO4J_PASSWORD"
        )
    if code.endswith("DatabaseNotFound"):
        return StoreUnavailable(
            f"Neo4j at {uri} has no database {database!r}; check IDGRAPH_NEO4J_DATABASE"
        )
    if isinstance(exc, nx.ServiceUnavailable | nx.SessionExpired | nx.DatabaseUnavailable):
        return StoreUnavailable(
            f"Neo4j at {uri} is unreachable ({why}); check IDGRAPH_NEO4J_URI and that the "
            "server is running"
        )
    if code.rsplit(".", 1)[-1] in _TIMED_OUT:
        return StoreTimeout(
            f"a Neo4j query ran past IDGRAPH_QUERY_TIMEOUT_S and was stopped ({why})"
        )
    if isinstance(exc, nx.ConstraintError):
        return StoreConflict(f"Neo4j refused a write that breaks a uniqueness rule: {why}")
    if isinstance(exc, nx.TransientError):
        return StoreUnavailable(f"Neo4j is busy and the write kept failing; retry ({why})")
    what = query_label(text) if text else "the query"
    return StoreError(f"Neo4j refused {what}: {why}")


CLEAR_SLICE = "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted"


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str,
        query_timeout_s: float = 600.0,
        connect_timeout_s: float = 5.0,
        retry_s: float = 10.0,
    ) -> None:
        self._uri = uri
        self._database = database
        self._timeout = query_timeout_s
        self._driver = neo4j.GraphDatabase.driver(
            uri,
            auth=(user, password),
            connection_timeout=connect_timeout_s,
            connection_acquisition_timeout=connect_timeout_s + retry_s,
            # Transient errors (deadlocks, a leader switch) are retried this long; an
            # outage then surfaces in seconds instead of the driver's default 30 s.
            max_transaction_retry_time=retry_s,
        )

    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        database: str,
        query_timeout_s: float = 600.0,
        connect_timeout_s: float = 5.0,
        retry_s: float = 10.0,
    ) -> Neo4jStore:
        """Open the driver and check once that the server and the database answer, so a
        wrong URI, password or database fails at start-up with one line."""
        try:
            store = cls(uri, user, password, database, query_timeout_s, connect_timeout_s, retry_s)
        except (nx.DriverError, ValueError) as exc:  # a malformed URI
            raise StoreUnavailable(f"cannot use IDGRAPH_NEO4J_URI={uri!r}: {exc}") from exc
        try:
            store._ping()
        except (nx.Neo4jError, nx.DriverError) as exc:
            store.close()
            raise store_error(exc, uri, database) from exc
        return store

    def run_text(
        self, text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        if not write:
            return self._query(text, params, write=False)
        try:
            return self._query(text, params, write=True)
        finally:
            self.noted_write(text)

    def _query(
        self, text: str, params: Mapping[str, Any] | None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        check_parameters(params, write)
        routing = neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ
        try:
            records, summary, _ = self._driver.execute_query(
                neo4j.Query(
                    text, timeout=self._timeout if write else read_timeout_s(self._timeout)
                ),
                parameters_=dict(params or {}),
                database_=self._database,
                routing_=routing,
            )
        except (nx.Neo4jError, nx.DriverError) as exc:
            raise store_error(exc, self._uri, self._database, text) from exc
        c = summary.counters
        return [r.data() for r in records], WriteSummary(
            nodes_created=c.nodes_created,
            nodes_deleted=c.nodes_deleted,
            relationships_created=c.relationships_created,
            relationships_deleted=c.relationships_deleted,
            properties_set=c.properties_set,
        )

    def setup_schema(self, schema: Schema | None = None) -> list[str]:
        """Create what is missing, wait until every index is online, and return what was
        created, read from the server's own lists before and after (IF NOT EXISTS makes the
        statements idempotent, and not every Bolt server counts schema changes)."""
        schema = schema or Schema()
        before = self._schema()
        for statement in schema_statements(schema):  # no data changes: no change mark
            self._query(statement, None, write=True)
        self._wait_online()
        after = self._schema()
        return sorted(f"{kind} {label}.{prop}" for kind, label, prop in after - before)

    def _schema(self) -> set[tuple[str, str, str]]:
        found: set[tuple[str, str, str]] = set()
        rows, _ = self.run_text(SHOW_CONSTRAINTS, write=False)
        for r in rows:
            if "UNIQUE" in str(r["type"]).upper():
                found.update(_pairs("unique", r))
        rows, _ = self.run_text(SHOW_INDEXES, write=False)
        for r in rows:
            if r["owningConstraint"] is None and r["labelsOrTypes"]:
                found.update(_pairs("index", r))
        return found

    def _wait_online(self, timeout_s: float = 300.0) -> None:
        """Queries planned before an index is online scan whole labels: wait for all."""
        deadline = time.monotonic() + timeout_s
        while True:
            rows, _ = self.run_text(SHOW_INDEXES, write=False)
            failed = [r["name"] for r in rows if r["state"] == "FAILED"]
            if failed:
                raise StoreError(f"Neo4j could not build the indexes {failed}; see its log")
            waiting = [r["name"] for r in rows if r["state"] != "ONLINE"]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise StoreTimeout(f"Neo4j indexes not online after {timeout_s:.0f}s: {waiting}")
            time.sleep(0.1)

    def _ping(self) -> None:
        # A session's own query (no retries), on the configured database: a server that is
        # up but lacks the database is not ready.
        with self._driver.session(
            database=self._database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            session.run(neo4j.Query(PING, timeout=PING_TIMEOUT_S)).consume()

    def ping(self) -> bool:
        try:
            self._ping()
            return True
        except (nx.Neo4jError, nx.DriverError) as exc:
            log.warning("%s", store_error(exc, self._uri, self._database))
            return False

    def clear(self) -> None:
        # execute_query runs in a managed transaction, so delete in bounded slices instead
        # of CALL ... IN TRANSACTIONS.
        while True:
            rows, _ = self.run_text(name_query(CLEAR_SLICE, marks.CLEAR), write=True)
            if not rows or rows[0]["deleted"] == 0:
                return

    def close(self) -> None:
        self._driver.close()


def _pairs(kind: str, row: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    labels: Sequence[str] = row["labelsOrTypes"] or []
    props: Sequence[str] = row["properties"] or []
    return [(kind, label, ",".join(props)) for label in labels]
