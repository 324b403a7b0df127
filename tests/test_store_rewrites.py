"""The embedded store does not rewrite its append-only file while a batch stage writes (a
rewrite forks the server, and every page written meanwhile is copied: the store's memory
peak, docs/performance.md); once the stage ends the server's own check rewrites it, with
nothing writing. Nothing written in the stage is lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


@pytest.fixture
def small_aof(tmp_path: Path) -> Iterator[GraphStore]:
    """A store of its own whose append-only file was just rewritten, with a 1 MB threshold."""
    with open_store(Settings(store="falkordb", data_dir=tmp_path, graph_name="g")) as store:
        client = store._db.client  # type: ignore[attr-defined]
        client.config_set("auto-aof-rewrite-min-size", "1mb")
        client.bgrewriteaof()
        assert _rewritten(store, 0, within=30), "the first rewrite did not end"
        yield store


def test_no_rewrite_while_a_batch_stage_writes_and_one_after(small_aof: GraphStore) -> None:
    before = _persistence(small_aof)["aof_rewrites"]

    seen: list[dict[str, int]] = []
    _stage(small_aof, seen)

    assert seen == [{"aof_rewrites": before, "aof_rewrite_in_progress": 0}]
    percentage = small_aof._db.client.config_get("auto-aof-rewrite-percentage")  # type: ignore[attr-defined]
    assert percentage == {"auto-aof-rewrite-percentage": "100"}
    assert _rewritten(small_aof, before, within=10)
    count, _ = small_aof.run_text("MATCH (p:Probe) RETURN count(p) AS n", write=False)
    assert count == [{"n": 6000}]


def test_the_same_writes_outside_a_stage_are_rewritten_as_they_go(small_aof: GraphStore) -> None:
    """What the stage puts off (the test above would pass on a server that never rewrites)."""
    before = _persistence(small_aof)["aof_rewrites"]
    for i in range(6):
        _write(small_aof, i * 1000, 1000)
    assert _rewritten(small_aof, before, within=10)
