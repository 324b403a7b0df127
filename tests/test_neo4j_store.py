"""Neo4j's driver hygiene: what an operator sees when the server, the database or the
credentials are wrong, the query timeout on the wire, schema set-up. Run against the test
run's Bolt server (tests/boltserver.py)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.errors import StoreError, StoreUnavailable
from app.store.base import query_label
from app.store.neo4j import Neo4jStore
from tests.boltserver import BoltServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when this returns


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_an_unreachable_server_fails_in_seconds_with_one_line(scheme: str) -> None:
    uri = f"{scheme}://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        Neo4jStore.connect(uri, "neo4j", "pw", "neo4j", connect_timeout_s=2, retry_s=1)
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"Neo4j at {uri} is unreachable (")
    assert "IDGRAPH_NEO4J_URI" in message


def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "IDGRAPH_STORE": "neo4j",
        "IDGRAPH_NEO4J_URI": f"bolt://127.0.0.1:{_closed_port()}",
        "IDGRAPH_DATA_DIR": str(tmp_path),
    }
    started = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "idgraph"), "stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 15  # interpreter start-up included
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "is unreachable" in lines[0] and "MATCH" not in lines[0]


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_a_wrong_database_is_not_ready(bolt_server: BoltServer, scheme: str) -> None:
    s = bolt_server
    uri = f"{scheme}://{s.uri.split('://', 1)[1]}"
    with pytest.raises(StoreUnavailable, match="has no database 'nosuchdb'"):
        Neo4jStore.connect(uri, s.user, s.password, "nosuchdb")
    store = Neo4jStore(uri, s.user, s.password, "nosuchdb")  # opened without the check
    try:
        assert store.ping() is False
    finally:
        store.close()
    store = Neo4jStore.connect(uri, s.user, s.password, s.database)
    try:
        assert store.ping() is True
        rows, _ = store.run_text("RETURN 1 AS one", write=False)
        assert rows == [{"one": 1}]
    finally:
        store.close()


def test_wrong_credentials_are_named(bolt_server: BoltServer) -> None:
    s = bolt_server
    with pytest.raises(StoreUnavailable, match=r"refused the credentials.*IDGRAPH_NEO4J_PASSWORD"):
        Neo4jStore.connect(s.uri, s.user, s.password + "-wrong", s.database)


def test_a_refused_query_names_the_query(bolt_server: BoltServer) -> None:
    """A refused query is named by its file (an ad-hoc one as such), never shown: no Cypher
    text reaches a message a user may see."""
    s = bolt_server
    with (
        Neo4jStore.connect(s.uri, s.user, s.password, s.database) as store,
        pytest.raises(StoreError, match="Neo4j refused an ad-hoc query") as caught,
    ):
        store.run_text("MATCH (n RETURN n", write=False)
    assert not isinstance(caught.value, StoreUnavailable)
    assert "MATCH (n" not in str(caught.value)
    # A named query is named by its file.
    assert query_label(store.cypher("customer_count")) == "query customer_count"


def test_every_query_carries_the_timeout(bolt_server: BoltServer, caplog) -> None:
    """Neo4j stops a transaction past its tx_timeout; the stand-in ignores it, so this checks
    what the server is told (the driver's record of each BEGIN)."""
    s = bolt_server
    with (
        Neo4jStore.connect(s.uri, s.user, s.password, s.database, query_timeout_s=12.5) as store,
        caplog.at_level(logging.DEBUG, logger="neo4j.io"),
    ):
        store.run_text("RETURN 1 AS one", write=False)
        store.run_text("CREATE (n:TimeoutProbe) DELETE n", write=True)
    begins = [r.getMessage() for r in caplog.records if " C: BEGIN " in r.getMessage()]
    assert len(begins) == 3  # the read, the write and the change mark it moved
    assert all("'tx_timeout': 12500" in b for b in begins), begins
