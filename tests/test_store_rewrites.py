"""The embedded store does not rewrite its append-only file while a batch stage writes (a
rewrite forks the server, and every page written meanwhile is copied: the store's memory
peak, docs/performance.md); once the stage ends the server's own check rewrites it, with
nothing writing. Nothing written in the stage is lost."""

from __future__ import annotations

import time
from pathlib import Path

from app.settings import Settings
from app.store import GraphStore, open_store
from app.store.base import batch_stage


def _persistence(store: GraphStore) -> dict[str, int]:
    info = store._db.client.info("persistence")  # type: ignore[attr-defined]
    return {k: int(info[k]) for k in ("aof_rewrites", "aof_rewrite_in_progress")}


def _write(store: GraphStore, start: int, n: int) -> None:
    rows = [{"probeId": f"p{i}", "text": "x" * 1000} for i in range(start, start + n)]
    store.run_text("UNWIND $rows AS r CREATE (p:Probe) SET p = r", {"rows": rows}, write=True)


def _rewritten(store: GraphStore, before: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        now = _persistence(store)
        if now["aof_rewrites"] > before and not now["aof_rewrite_in_progress"]:
            return True
        time.sleep(0.05)
    return False


@batch_stage
def _stage(store: GraphStore, seen: list[dict[str, int]]) -> None:
    for i in range(6):  # ~6 MB: three times the threshold below
        _write(store, i * 1000, 1000)
    time.sleep(0.5)  # the server checks for a rewrite ten times a second
    seen.append(_persistence(store))


def test_no_rewrite_while_a_batch_stage_writes_and_one_after(tmp_path: Path) -> None:
    with open_store(Settings(store="falkordb", data_dir=tmp_path, graph_name="g")) as store:
        client = store._db.client  # type: ignore[attr-defined]
        client.config_set("auto-aof-rewrite-min-size", "1mb")
        client.bgrewriteaof()
        assert _rewritten(store, 0, within=30), "the first rewrite did not end"
        before = _persistence(store)["aof_rewrites"]

        seen: list[dict[str, int]] = []
        _stage(store, seen)

        assert seen == [{"aof_rewrites": before, "aof_rewrite_in_progress": 0}]
        assert client.config_get("auto-aof-rewrite-percentage") == {
            "auto-aof-rewrite-percentage": "100"
        }
        assert _rewritten(store, before, within=10)
        count, _ = store.run_text("MATCH (p:Probe) RETURN count(p) AS n", write=False)
        assert count == [{"n": 6000}]


def test_the_same_writes_outside_a_stage_are_rewritten_as_they_go(tmp_path: Path) -> None:
    """What the stage puts off (the test above would pass on a server that never rewrites)."""
    with open_store(Settings(store="falkordb", data_dir=tmp_path, graph_name="g")) as store:
        client = store._db.client  # type: ignore[attr-defined]
        client.config_set("auto-aof-rewrite-min-size", "1mb")
        client.bgrewriteaof()
        assert _rewritten(store, 0, within=30), "the first rewrite did not end"
        before = _persistence(store)["aof_rewrites"]
        for i in range(6):
            _write(store, i * 1000, 1000)
        assert _rewritten(store, before, within=10)
