"""The embedded store is supervised: when its server process dies (killed, or crashed by the
FalkorDB bug in docs/falkordb-crash.md), the service starts it again from its append-only
file and serves again within seconds; /health says what happened."""

from __future__ import annotations

import os
import signal
import time

import pytest
from starlette.testclient import TestClient

from app.api.app import create_app
from app.settings import Settings
from tests.api.conftest import make_key

QUERY = '{ customer(id: "crm:1") { firstName } }'


def _served_again(client: TestClient, key: str, deadline_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < deadline_s:
        auth = {"Authorization": f"Bearer {key}"}
        body = client.post("/graphql", json={"query": QUERY}, headers=auth).json()
        if body.get("data") == {"customer": {"firstName": "Ada"}}:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not serving again after {deadline_s} s")


@pytest.mark.parametrize("death", ["kill -9", "the unique-key crash"])
def test_the_service_restarts_a_dead_store_and_serves_again(
    tmp_path, api_settings: Settings, death: str
) -> None:
    settings = api_settings.model_copy(
        update={"data_dir": tmp_path, "graph_name": "watched", "store_watch_s": 0.2}
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        store = app.state.store
        store.write(
            "upsert_customers",
            rows=[{"customerId": "crm:1", "props": {"source": "crm", "firstName": "Ada"}}],
        )
        key = make_key(store)  # in the store too: it must survive the restart
        pid = store._db.client.pid
        if death == "kill -9":
            os.kill(pid, signal.SIGKILL)
        else:
            # Past the product's own checks, straight to the server: FalkorDB 4.22 dies.
            graph = store._db.select_graph("watched")
            with pytest.raises(Exception):  # noqa: B017 - the connection drops
                graph.query("MERGE (:Customer {customerId: $id})", {"id": "\nx"})
        seconds = _served_again(client, key, deadline_s=10)
        health = client.get("/health")
    assert seconds < 5
    assert health.status_code == 200
    supervision = health.json()["store"]["supervision"]
    assert supervision["restarts"] == 1
    assert f"pid {pid}" in supervision["last"]["reason"]
    if death == "kill -9":
        assert "no crash report" in supervision["last"]["reason"]
    else:
        assert "signal: 11" in supervision["last"]["reason"]
