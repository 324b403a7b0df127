"""With IDGRAPH_FALKORDB_RELOAD_AFTER_NODES set, a process that bulk-writes into an embedded
server where another process serves requests (a CLI stage beside `idgraph serve`) leaves
the graph reloaded from a snapshot when it closes; `idgraph settle` does it on demand.
FalkorDB serves small writes slower on a graph built by bulk writes than on the same graph
loaded (docs/architecture.md, "Writes after bulk work"). Nothing is lost, and the serving
side keeps its connection through it."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.api.app import create_app
from app.settings import Settings
from app.store import GraphStore, open_store
from app.store.base import Key, Schema
from tests.api.conftest import serving as api_server
from tests.test_cli import idgraph
from tests.test_store_open import index_states

RELOADED = "DB reloaded by DEBUG RELOAD"


def _reloads(settings: Settings) -> int:
    return (settings.data_dir / "falkordb.log").read_text().count(RELOADED)


def _write(store: GraphStore, n: int) -> None:
    rows = [{"probeId": f"p{i}", "group": i % 7} for i in range(n)]
    store.run_text("UNWIND $rows AS r CREATE (p:Probe) SET p = r", {"rows": rows}, write=True)


def _probes(store: GraphStore) -> list[dict[str, object]]:
    found, _ = store.run_text(
        "MATCH (p:Probe) WHERE p.probeId = 'p5' RETURN p.group AS g", write=False
    )
    counted, _ = store.run_text("MATCH (p:Probe) RETURN count(p) AS n", write=False)
    return [{**found[0], **counted[0]}] if found else []


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, falkordb_reload_after_nodes=1_000)


def test_a_bulk_writer_beside_a_serving_store_leaves_the_graph_reloaded(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with open_store(settings) as serving:  # starts the server, as `idgraph serve` does
        serving.mark_serving()
        serving.setup_schema(Schema(unique=[], indexes=[Key("Probe", "probeId")]))
        with open_store(settings) as writer:  # attaches, as a CLI stage does
            _write(writer, 1_000)
        assert _reloads(settings) == 1
        # The serving store's connection survived the reload, reads the graph whole, by its
        # index, and writes on.
        assert index_states(serving) == {"Probe": "OPERATIONAL"}
        assert _probes(serving) == [{"g": 5, "n": 1_000}]
        serving.run_text("CREATE (:Probe {probeId: 'after'})", write=True)
    with open_store(settings) as reopened:
        assert _probes(reopened) == [{"g": 5, "n": 1_001}]
    assert _reloads(settings) == 1


def test_the_api_server_is_served_a_settled_graph(tmp_path: Path) -> None:
    """`idgraph serve`'s app marks its store as serving when it starts."""
    settings = _settings(tmp_path)
    with api_server(create_app(settings)) as url:
        with open_store(settings) as writer:
            _write(writer, 1_000)
        assert _reloads(settings) == 1
        health = httpx.get(f"{url}/health", timeout=10).json()
        assert health["store"] == {"backend": "falkordb", "ready": True}


def test_a_writer_alone_stops_its_server_without_reloading(tmp_path: Path) -> None:
    """Its server starts on the snapshot next time, which lays the graph out afresh."""
    settings = _settings(tmp_path)
    with open_store(settings) as store:
        _write(store, 5_000)
    with open_store(settings) as store:
        assert _probes(store) == [{"g": 5, "n": 5_000}]
    assert _reloads(settings) == 0


@pytest.mark.parametrize(
    ("reload_after", "serves", "nodes"),
    [
        pytest.param(0, True, 5_000, id="by default: off unless chosen"),
        pytest.param(1_000, True, 999, id="fewer new nodes than the setting"),
        pytest.param(1_000, False, 5_000, id="beside a process that does not serve"),
    ],
)
def test_the_graph_is_left_as_it_is(
    tmp_path: Path, reload_after: int, serves: bool, nodes: int
) -> None:
    """Beside a process that does not serve (another batch, say), a reload would cost the
    pause and gain nothing."""
    settings = Settings(data_dir=tmp_path, falkordb_reload_after_nodes=reload_after)
    with open_store(settings) as holder:
        if serves:
            holder.mark_serving()
        with open_store(settings) as writer:
            _write(writer, nodes)
        assert _probes(holder) == [{"g": 5, "n": nodes}]
    assert _reloads(settings) == 0


def test_queries_beside_a_reload_wait_for_it_and_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    """While the server reloads, it answers LOADING, and refuses unrun a query it took just
    before: both wait and go again, so writers and readers beside it see no error."""
    settings = _settings(tmp_path)
    acked: list[tuple[int, int]] = []
    failed: list[BaseException] = []
    reads = [0]
    stop = threading.Event()

    def write(k: int) -> None:
        with open_store(settings) as store:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    store.run_text("CREATE (:W {k: $k, i: $i})", {"k": k, "i": i}, write=True)
                except BaseException as exc:
                    failed.append(exc)
                    return
                acked.append((k, i))

    def read() -> None:
        with open_store(settings) as store:
            while not stop.is_set():
                try:
                    _probes(store)
                except BaseException as exc:
                    failed.append(exc)
                    return
                reads[0] += 1

    with open_store(settings) as serving:
        _write(serving, 20_000)
        workers = [threading.Thread(target=write, args=(k,)) for k in range(2)]
        workers.append(threading.Thread(target=read))
        for w in workers:
            w.start()
        for _ in range(5):
            time.sleep(0.1)
            serving.settle()
        time.sleep(0.1)
        stop.set()
        for w in workers:
            w.join()
        rows, _ = serving.run_text("MATCH (w:W) RETURN w.k AS k, w.i AS i", write=False)
    assert failed == []
    assert sorted((r["k"], r["i"]) for r in rows) == sorted(acked)
    assert len(acked) > 0 and reads[0] > 0
    assert _reloads(settings) == 5


def test_idgraph_settle_reloads_the_server_that_serves(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)  # no automatic reload
    with open_store(settings) as serving:
        serving.mark_serving()
        _write(serving, 1_000)
        done = idgraph("settle", data=tmp_path)
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(r"graph reloaded in \d+\.\d s\n", done.stderr), done.stderr
        assert _reloads(settings) == 1
        assert _probes(serving) == [{"g": 5, "n": 1_000}]
