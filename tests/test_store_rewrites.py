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
from app.store.falkordb_process import STOPPING, wait_for_stopped


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


def _replayed(folder: Path) -> bytes:
    """What the next start of the server replays: the incremental files the append-only
    manifest lists (its base is a snapshot, loaded as it is)."""
    aof = folder / "appendonlydir"
    manifest = (aof / "appendonly.aof.manifest").read_text().split("\n")
    parts = [line.split() for line in manifest if line.strip()]
    return b"".join((aof / p[1]).read_bytes() for p in parts if p[p.index("type") + 1] == "i")


def _stage_probes(store: GraphStore) -> None:
    """~6 MB of nodes written in one batch stage, each probeId starting "stage-probe-"."""
    with store.batch_stage():
        for i in range(6):
            rows = [
                {"probeId": f"stage-probe-{j}", "text": "x" * 1000}
                for j in range(i * 1000, (i + 1) * 1000)
            ]
            store.run_text(
                "UNWIND $rows AS r CREATE (p:Probe) SET p = r", {"rows": rows}, write=True
            )


def _probes_after_restart(settings: Settings) -> int:
    with open_store(settings) as store:
        count, _ = store.run_text("MATCH (p:Probe) RETURN count(p) AS n", write=False)
    return int(count[0]["n"])


@pytest.mark.parametrize(("threshold", "replays_the_stage"), [("1mb", False), ("1gb", True)])
def test_a_command_that_closes_right_after_its_stage_leaves_nothing_to_replay(
    tmp_path: Path, threshold: str, replays_the_stage: bool
) -> None:
    """A command (`idgraph resolve`, `households`...) closes the store, and so stops the
    server, as soon as its stage ends: before the server's own check could rewrite the file.
    The rewrite the server's rule asks for is made before it stops, so the next start loads
    a snapshot instead of running the stage's write queries again. Under the threshold
    nothing is rewritten (and the next start replays the stage: the check can fail)."""
    settings = Settings(store="falkordb", data_dir=tmp_path, graph_name="g")
    with open_store(settings) as store:
        store._db.client.config_set("auto-aof-rewrite-min-size", threshold)  # type: ignore[attr-defined]
        _stage_probes(store)
    wait_for_stopped(tmp_path / STOPPING)

    assert (b"stage-probe-" in _replayed(tmp_path)) is replays_the_stage
    assert _probes_after_restart(settings) == 6000


def test_a_rewrite_the_server_starts_on_its_own_as_the_command_closes_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server checks its rewrite rule ten times a second, so after a stage its own rewrite
    can start just before the close asks for one, and the server refuses the request ("already
    in progress"). The close waits for that rewrite and asks again, instead of stopping the
    server under it (which kills the rewrite and leaves the stage's writes to be replayed).
    Here the server's check fires as the close makes its request."""
    settings = Settings(store="falkordb", data_dir=tmp_path, graph_name="g")
    with open_store(settings) as store:
        client = store._db.client  # type: ignore[attr-defined]
        client.config_set("auto-aof-rewrite-min-size", "1mb")
        _stage_probes(store)
        request = client.bgrewriteaof
        fired: list[bool] = []

        def server_check_fires_first() -> object:
            if not fired:
                fired.append(True)
                request()  # the server's own rewrite, started a moment before the request
            return request()

        monkeypatch.setattr(client, "bgrewriteaof", server_check_fires_first)
    wait_for_stopped(tmp_path / STOPPING)

    assert fired == [True]
    assert b"stage-probe-" not in _replayed(tmp_path)
    assert _probes_after_restart(settings) == 6000
