"""The embedded store's indexes and constraints: made in as few statements as FalkorDB
allows, and waited for, since FalkorDB builds them in the background (FalkorStore calls
these; docs/architecture.md, "Things learned about FalkorDB")."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import ResponseError

from app.errors import StoreError
from app.store.base import Schema, safe_identifier

log = logging.getLogger(__name__)


def setup(graph: Any, connection: Any, graph_name: str, schema: Schema) -> list[str]:
    """Create the schema's missing indexes and unique constraints on `graph` (a falkordb
    Graph; `connection` sends the constraint commands); what was created."""
    created: list[str] = []
    existing = {
        (row[0], prop) for row in graph.query("CALL db.indexes()").result_set for prop in row[1]
    }
    # One statement per label: each CREATE INDEX on a label that has an index rebuilds
    # that label's whole index. Resolve's seventeen blocking-key indexes on 36k records
    # took 0.10, 0.15, ... 0.48 s one after the other (4.7-5.8 s with the wait for the
    # last build); all at once, 1.1 s (docs/performance.md).
    wanted: dict[str, list[str]] = {}
    for key in [*schema.unique, *schema.indexes]:
        label, prop = safe_identifier(key.label), safe_identifier(key.prop)
        if (label, prop) not in existing and prop not in wanted.get(label, []):
            wanted.setdefault(label, []).append(prop)
    for label, props in wanted.items():
        on = ", ".join(f"n.{prop}" for prop in props)
        graph.query(f"CREATE INDEX FOR (n:{label}) ON ({on})")
        created.extend(f"index {label}.{prop}" for prop in props)
    constraints = {
        (row[1], tuple(row[2])) for row in graph.query("CALL db.constraints()").result_set
    }
    for key in schema.unique:
        if (key.label, (key.prop,)) in constraints:
            continue
        try:
            connection.execute_command(
                "GRAPH.CONSTRAINT",
                "CREATE",
                graph_name,
                "UNIQUE",
                "NODE",
                key.label,
                "PROPERTIES",
                "1",
                key.prop,
            )
            created.append(f"unique {key.label}.{key.prop}")
        except ResponseError as exc:
            if "already exists" not in str(exc):
                raise StoreError(f"could not create constraint on {key}: {exc}") from exc
    wait_operational(graph)
    return created


def _states(graph: Any, constraints: bool) -> list[str]:
    """Every index's status (and every constraint's, if asked)."""
    states = [
        str(r[0]) for r in graph.query("CALL db.indexes() YIELD status RETURN status").result_set
    ]
    if constraints:
        states += [str(r[4]) for r in graph.query("CALL db.constraints()").result_set]
    return states


def _wait_until(ready: Callable[[], bool], timeout_s: float) -> bool:
    """Poll `ready` until it holds (True) or the time is up (False)."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def wait_built(graph: Any, timeout_s: float) -> None:
    """A server started on a saved graph rebuilds its indexes in the background, and
    until then every lookup scans its label (36k records: 12 ms a lookup instead of
    0.4 ms, for about a second): opening waits while any index is under construction.
    Only for that: a constraint that failed to build stays failed, and must not keep
    the store from opening (setup reports it)."""
    if not _wait_until(
        lambda: not any("UNDER CONSTRUCTION" in s for s in _states(graph, False)), timeout_s
    ):
        log.warning("FalkorDB indexes still being built after %.0f s", timeout_s)


def wait_operational(graph: Any, timeout_s: float = 300.0) -> None:
    """Indexes and constraints are built in the background. A query planned before they
    are ready scans whole labels, and FalkorDB caches that plan, so every later batch of
    the same query would too: wait until they are all usable."""
    if not _wait_until(lambda: all("OPERATIONAL" in s for s in _states(graph, True)), timeout_s):
        states = _states(graph, True)
        raise StoreError(f"FalkorDB indexes not ready after {timeout_s:.0f}s: {states}")
