"""Shared fixtures: a store per backend, embedded FalkorDB and Neo4j's path over Bolt (a real
Neo4j when NEO4J_URI is set, else the ArcadeDB stand-in started for the run, boltserver.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.store import GraphStore, open_store
from app.store.falkordb import FalkorStore
from app.store.neo4j import Neo4jStore
from tests import boltserver
from tests.boltserver import BoltServer
from tests.neo4j_rules import Violation, check, checking, stored_graph_problems

# A test's store stops with it: each test has a folder of its own, deleted after the run,
# so a server kept for a next command (IDGRAPH_STORE_LINGER_S) would only hold memory.
# tests/test_store_linger.py sets its own.
os.environ["IDGRAPH_STORE_LINGER_S"] = "0"

# The Bolt server the Neo4j variants used, for the run's closing lines.
_BOLT_USED: list[BoltServer] = []


def pytest_report_header(config: pytest.Config) -> str:
    real = boltserver.from_environment()
    if real is not None:
        return f"Neo4j variants: {real.description}"
    return (
        f"Neo4j variants: ArcadeDB stand-in ({boltserver.STANDIN_PACKAGE}=="
        f"{boltserver.standin_version()}), started on a free loopback port by each test "
        "process (NEO4J_URI not set)"
    )


# Under pytest-xdist (`make test` runs two workers) each worker starts its own Bolt server
# and hands its closing line to the controlling process, which prints them (these).
_BOLT_LINES: list[str] = []


def _bolt_lines() -> list[str]:
    return [
        f"Neo4j variants ran against {server.description}"
        + (f", started in {server.started_in_s:.1f}s" if server.process else "")
        for server in _BOLT_USED
    ]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workeroutput"):  # an xdist worker
        session.config.workeroutput["bolt_lines"] = _bolt_lines()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    worker = getattr(node, "workerinput", {}).get("workerid", "?")
    output = getattr(node, "workeroutput", {})
    _BOLT_LINES.extend(f"{line} (worker {worker})" for line in output.get("bolt_lines", []))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _BOLT_LINES + _bolt_lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def bolt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltServer]:
    """NEO4J_URI's server when set, else ArcadeDB's Bolt plugin for this test run."""
    server = boltserver.from_environment() or boltserver.start_arcadedb(
        tmp_path_factory.mktemp("arcadedb")
    )
    _BOLT_USED.append(server)
    try:
        yield server
    finally:
        server.stop()


def neo4j_settings(server: BoltServer, tmp: Path) -> Settings:
    return Settings(
        store="neo4j",
        data_dir=tmp,
        neo4j_uri=server.uri,
        neo4j_user=server.user,
        neo4j_password=server.password,
        neo4j_database=server.database,
    )


# Rules Neo4j enforces, checked for every query the suite sends through a store, on both
# backends (tests/neo4j_rules.py). A violation fails the query and the test that ran it.
VIOLATIONS: list[Violation] = []


def _enforce(found: list[Violation]) -> None:
    if found and checking():
        VIOLATIONS.extend(found)
        raise AssertionError("Neo4j would refuse this: " + "; ".join(map(str, found)))


def _checked_run_text(original: Any) -> Any:
    def run_text(self: GraphStore, text: str, params: Any = None, *, write: bool) -> Any:
        _enforce(check(text, params, write))
        rows, summary = original(self, text, params, write=write)
        if not write and any(vars(summary).values()):
            _enforce([Violation("write in a read query", f"it changed {summary} in {text!r:.120}")])
        return rows, summary

    return run_text


def _checked_write_prepared(original: Any) -> Any:
    def write_prepared(self: GraphStore, batches: Any, *a: Any, **kw: Any) -> Any:
        def each() -> Iterator[Any]:
            for text, params, n in batches:
                _enforce(check(text, params, True))
                yield text, params, n

        return original(self, each(), *a, **kw)

    return write_prepared


def _checked_read_number_lists(original: Any) -> Any:
    def read_number_lists(self: GraphStore, name: str, **params: Any) -> Any:
        _enforce(check(self.cypher(name), params, False))
        return original(self, name, **params)

    return read_number_lists


def _checked_read_texts(original: Any) -> Any:
    def read_texts(self: GraphStore, text: str, **params: Any) -> Any:
        _enforce(check(text, params, False))
        return original(self, text, **params)

    return read_texts


@pytest.fixture(scope="session", autouse=True)
def neo4j_rules() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for cls in (FalkorStore, Neo4jStore):
            mp.setattr(cls, "run_text", _checked_run_text(cls.run_text))
        mp.setattr(
            FalkorStore, "write_prepared", _checked_write_prepared(FalkorStore.write_prepared)
        )
        mp.setattr(
            FalkorStore,
            "read_number_lists",
            _checked_read_number_lists(FalkorStore.read_number_lists),
        )
        mp.setattr(FalkorStore, "read_texts", _checked_read_texts(FalkorStore.read_texts))
        yield


@pytest.fixture(autouse=True)
def no_neo4j_rule_broken() -> Iterator[None]:
    """Fail a test whose queries broke a rule even where the code under test caught the
    error (a worker thread, an API error mapping)."""
    start = len(VIOLATIONS)
    yield
    broken = VIOLATIONS[start:]
    if broken:
        pytest.fail("Neo4j would refuse queries this test ran:\n" + "\n".join(map(str, broken)))


STORED = (
    "MATCH (n) RETURN labels(n)[0] AS what, properties(n) AS props "
    "UNION ALL MATCH ()-[r]->() RETURN type(r) AS what, properties(r) AS props"
)


@pytest.fixture(scope="session", params=["falkordb", "neo4j"])
def backend_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"store-{request.param}")
    if request.param == "falkordb":
        yield Settings(store="falkordb", data_dir=tmp, graph_name="test")
    else:
        yield neo4j_settings(request.getfixturevalue("bolt_server"), tmp)


@pytest.fixture(scope="session")
def _session_store(backend_settings: Settings) -> Iterator[GraphStore]:
    store = open_store(backend_settings)
    store.setup_schema()
    yield store
    store.close()


@pytest.fixture
def store(_session_store: GraphStore) -> Iterator[GraphStore]:
    """An empty graph with the schema in place, on each backend. Afterwards, every stored
    value must be one Neo4j can hold (values computed by Cypher itself are only seen here)."""
    _session_store.clear()
    _session_store.setup_schema()
    yield _session_store
    rows, _ = _session_store.run_text(STORED, write=False)
    broken = stored_graph_problems(rows)
    if broken:
        pytest.fail("Neo4j could not hold what this test stored:\n" + "\n".join(map(str, broken)))


@pytest.fixture(scope="session")
def falkor_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for tests that only need the embedded default (CLI, API, browser)."""
    return Settings(store="falkordb", data_dir=tmp_path_factory.mktemp("falkor"), graph_name="t")


@pytest.fixture
def falkor_store(falkor_settings: Settings) -> Iterator[GraphStore]:
    store = open_store(falkor_settings)
    store.clear()
    store.setup_schema()
    yield store
    store.close()
