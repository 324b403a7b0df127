"""The embedded server a command started stays up IDGRAPH_STORE_LINGER_S after the last client
has gone, so that the next command attaches to it instead of starting one and loading the
graph; then its watcher stops it as a closing command would, with everything saved
(app/store/falkordb_linger.py). Each "command" here is a process of its own that opens the
store, writes or reads, and exits, as `idgraph` commands do."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

from app.store.falkordb import FalkorStore
from app.store.falkordb_process import alive, wait_until_gone
from tests.test_cli import idgraph
from tests.test_store_settle import RELOADED

ROOT = Path(__file__).resolve().parents[1]

COMMAND = """
import json, sys
from pathlib import Path
from app.store.falkordb import FalkorStore

store = FalkorStore(Path(sys.argv[1]), "g", linger_s=float(sys.argv[2]))
if sys.argv[3:]:
    rows = [{"customerId": k, "props": {"source": "crm"}} for k in sys.argv[3:]]
    store.write("upsert_customers", rows=rows)
rows, _ = store.run_text("MATCH (c:Customer) RETURN c.customerId AS id ORDER BY id", write=False)
print(json.dumps({"pid": store.server_pid, "ids": [r["id"] for r in rows]}))
store.close()
"""

STOP_S = 15.0  # ample for a watcher's last look, the rewrite and the server's exit


def command(db_file: Path, linger_s: float, *keys: str) -> tuple[int, list[str]]:
    """Run one command: the server it used, and the customers it read."""
    r = subprocess.run(
        [sys.executable, "-c", COMMAND, str(db_file), str(linger_s), *keys],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    return int(out["pid"]), list(out["ids"])


def watchers(db_file: Path) -> list[int]:
    """Watcher processes of the folder's server that run (a zombie does not)."""
    found = []
    for p in psutil.process_iter(["pid", "cmdline"]):
        line = " ".join(p.info["cmdline"] or [])
        if "app.store.falkordb_linger" in line and str(db_file) in line and alive(p.pid):
            found.append(int(p.info["pid"]))
    return found


def watcher_ends(db_file: Path) -> bool:
    """Whether the folder's watcher, having stopped its server, exits."""
    return all(gone_within(pid, STOP_S) for pid in watchers(db_file))


def gone_within(pid: int, seconds: float) -> bool:
    wait_until_gone(pid, seconds)
    return not alive(pid)


def test_the_next_command_finds_the_server_running_and_it_stops_after_its_linger(
    tmp_path: Path,
) -> None:
    db_file = tmp_path / "graph.rdb"
    pid, ids = command(db_file, 3, "crm:1")
    assert ids == ["crm:1"]
    assert alive(pid)  # the command has exited; its server has not
    assert len(watchers(db_file)) == 1

    again, ids = command(db_file, 3, "crm:2")
    ended = time.monotonic()
    assert again == pid  # attached: no second start, no second load of the graph
    assert ids == ["crm:1", "crm:2"]

    time.sleep(1.5)  # half the linger: nobody connected, still kept
    assert alive(pid)
    assert gone_within(pid, 3 + STOP_S)
    assert time.monotonic() - ended >= 2.5  # not before the linger (less the watcher's poll)
    assert watcher_ends(db_file)

    # Stopped with everything saved: a new server loads both records. This command does
    # not linger: its server stops with it.
    third, ids = command(db_file, 0)
    assert third != pid
    assert ids == ["crm:1", "crm:2"]
    assert gone_within(third, STOP_S)


def test_a_command_that_does_not_linger_stops_a_server_only_a_watcher_keeps(
    tmp_path: Path,
) -> None:
    db_file = tmp_path / "graph.rdb"
    pid, _ = command(db_file, 60, "crm:1")
    assert alive(pid)
    same, ids = command(db_file, 0)
    assert same == pid
    assert ids == ["crm:1"]
    assert gone_within(pid, STOP_S)  # long before its 60 s
    assert watcher_ends(db_file)
    assert command(db_file, 0)[1] == ["crm:1"]


def test_a_connected_client_keeps_the_server_past_its_linger(tmp_path: Path) -> None:
    db_file = tmp_path / "graph.rdb"
    pid, _ = command(db_file, 1, "crm:1")
    store = FalkorStore(db_file, "g", linger_s=1)  # attaches, as `idgraph serve` would
    try:
        assert store.server_pid == pid
        time.sleep(3)  # three lingers with a client connected
        assert alive(pid)
    finally:
        store.close()  # leaves it to the watcher, which stops it a linger later
    assert alive(pid)
    assert gone_within(pid, 1 + STOP_S)


def test_a_server_whose_folder_was_deleted_stops_without_saving(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db_file = folder / "graph.rdb"
    pid, _ = command(db_file, 1, "crm:1")
    shutil.rmtree(folder)
    assert gone_within(pid, 1 + STOP_S)
    assert watcher_ends(db_file)
    assert not folder.exists()  # nothing was written back into it


def test_serving_from_a_kept_server_reloads_the_graph_first(tmp_path: Path) -> None:
    """A batch command's bulk writes leave FalkorDB slower at small writes until the graph
    is loaded afresh (docs/architecture.md, "Writes after bulk work"); a start did that, so
    a serving process that attaches to a kept server has it reload (`settle`). One that
    starts its own server does not."""
    db_file = tmp_path / "kept" / "graph.rdb"
    pid, _ = command(db_file, 60, "crm:1")
    serving = FalkorStore(db_file, "g")
    try:
        assert serving.server_pid == pid
        serving.mark_serving()
        log = (db_file.parent / "falkordb.log").read_text()
        assert log.count(RELOADED) == 1
    finally:
        serving.close()  # not lingering: stops the kept server too
    assert gone_within(pid, STOP_S)

    own_file = tmp_path / "own" / "graph.rdb"
    own = FalkorStore(own_file, "g", linger_s=0)
    try:
        own.mark_serving()
        assert RELOADED not in (own_file.parent / "falkordb.log").read_text()
    finally:
        own.close()


def test_the_command_line_attaches_to_the_server_its_last_command_left(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for _ in range(2):
        r = idgraph("stats", data=data, env={"IDGRAPH_STORE_LINGER_S": "2"})
        assert r.returncode == 0, r.stderr
    log = data / "falkordb.log"
    assert log.read_text().count("Ready to accept connections") == 1  # one start, two commands
    deadline = time.monotonic() + 2 + STOP_S
    while "ready to exit" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert log.read_text().count("ready to exit") == 1


def test_an_open_that_waited_for_the_stop_starts_a_server_of_its_own(tmp_path: Path) -> None:
    """The watcher lets go of the folder's start lock only once the server it stopped is
    gone, so an open that waited for the lock never attaches to a server on its way out."""
    db_file = tmp_path / "graph.rdb"
    pid, _ = command(db_file, 0.5, "crm:1")
    lock_file = tmp_path / "falkordb.start.lock"
    deadline = time.monotonic() + 0.5 + STOP_S
    with lock_file.open("a") as probe:
        while True:  # until the watcher holds the lock: it is stopping the server
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                break
            fcntl.flock(probe, fcntl.LOCK_UN)
            assert time.monotonic() < deadline, "the watcher never stopped the server"
            time.sleep(0.005)
    store = FalkorStore(db_file, "g")  # waits for the lock
    try:
        assert not alive(pid)
        assert store.server_pid != pid
        rows, _ = store.run_text("MATCH (c:Customer) RETURN c.customerId AS id", write=False)
        assert [r["id"] for r in rows] == ["crm:1"]
    finally:
        store.close()


def test_idgraph_stop_stops_a_kept_server_now_and_leaves_one_in_use(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db_file = data / "graph.rdb"
    r = idgraph("stop", data=data)
    assert (r.returncode, r.stderr.strip()) == (0, f"no server runs on {data}: nothing to stop")

    pid, _ = command(db_file, 60, "crm:1")
    user = FalkorStore(db_file, "g", linger_s=60)  # another's use, as `idgraph serve`'s
    try:
        r = idgraph("stop", data=data)
        assert r.returncode == 1
        assert r.stderr.strip() == (
            f"the server (pid {pid}) is in use by 1 other connection(s), such as "
            "`idgraph serve`: left running"
        )
        assert alive(pid)
    finally:
        user.close()  # leaves it to the watcher, for a minute

    r = idgraph("stop", data=data)
    assert (r.returncode, r.stderr.strip()) == (
        0,
        f"stopped the server (pid {pid}); its files are saved",
    )
    assert not alive(pid)  # gone when the command says so
    assert watcher_ends(db_file)
    assert command(db_file, 0)[1] == ["crm:1"]
