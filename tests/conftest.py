"""Shared fixtures: a store per available backend (embedded FalkorDB always; Neo4j when
reachable)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import GraphStore, open_store

NEO4J_SKIP_REASON = ""


def _docker_engine() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        import docker  # testcontainers' dependency

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _neo4j_settings(tmp: Path) -> Iterator[Settings]:
    """Settings for a Neo4j server from NEO4J_URI, else a testcontainers Neo4j, else skip."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Settings(
            store="neo4j",
            data_dir=tmp,
            neo4j_uri=uri,
            neo4j_user=os.environ.get("NEO4J_USER", "neo4j"),
            neo4j_password=os.environ.get("NEO4J_PASSWORD", ""),
            neo4j_database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    if not _docker_engine():
        pytest.skip(
            "Neo4j backend not tested: NEO4J_URI is not set and no Docker engine is running"
        )
    from testcontainers.neo4j import Neo4jContainer

    with Neo4jContainer("neo4j:5") as neo:
        yield Settings(
            store="neo4j",
            data_dir=tmp,
            neo4j_uri=neo.get_connection_url(),
            neo4j_user="neo4j",
            neo4j_password=neo.password,
        )


@pytest.fixture(scope="session", params=["falkordb", "neo4j"])
def backend_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(f"store-{request.param}")
    if request.param == "falkordb":
        yield Settings(store="falkordb", data_dir=tmp, graph_name="test")
    else:
        yield from _neo4j_settings(tmp)


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
