"""Shared fixtures: a store per backend, embedded FalkorDB and Neo4j's path over Bolt (a real
Neo4j when NEO4J_URI is set, else the ArcadeDB stand-in started for the run, boltserver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.store import GraphStore, open_store
from tests import boltserver
from tests.boltserver import BoltServer

# The Bolt server the Neo4j variants used, for the run's closing lines.
_BOLT_USED: list[BoltServer] = []


def pytest_report_header(config: pytest.Config) -> str:
    real = boltserver.from_environment()
    if real is not None:
        return f"Neo4j variants: {real.description}"
    return (
        f"Neo4j variants: ArcadeDB stand-in ({boltserver.STANDIN_PACKAGE}=="
        f"{boltserver.standin_version()}), started on a free loopback port (NEO4J_URI not set)"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for server in _BOLT_USED:
        started = f", started in {server.started_in_s:.1f}s" if server.process else ""
        terminalreporter.write_line(f"Neo4j variants ran against {server.description}{started}")


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
def store(_session_store: GraphStore) -> GraphStore:
    """An empty graph with the schema in place, on each available backend."""
    _session_store.clear()
    _session_store.setup_schema()
    return _session_store


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
