"""The embedded server kept running for a while after the last command (`IDGRAPH_STORE_LINGER_S`).

A command with no server running on the data folder starts one, which loads the whole graph
from the folder's files (0.65 s for the pseudopeople town's 36,000 records, 5-7 s at 100k
records with their interactions), and stopping it rewrites those files. A user runs commands
one after another (load-dir, train, resolve, households, metrics), so the server a command
started stays up for `linger` seconds after the last client has gone, and the next command
attaches to it as it does while `idgraph serve` runs.

A small watcher process (this module run as a program) holds one connection to the server,
named LINGER_CLIENT, and stops it, the same way a closing command does (`stop_server`), once
no other client has been connected for `linger` seconds. It looks and stops under the folder's
start lock, which a command opening the folder holds while it starts or attaches: an opening
command either attaches before the watcher looks (and is a client it sees) or waits for the
stop and starts a server of its own."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from app.store.falkordb_process import STOPPING, alive, stop_server, wait_until_gone

LINGER_CLIENT = "idgraph-linger"  # the watcher's connection name
START_LOCK = "falkordb.start.lock"  # held while a server is started or attached to
POLL_S = 0.25  # how often the watcher counts the server's clients
CONNECT_WAIT_S = 10.0  # how long a closing command waits for its watcher to connect


@dataclass
class Clients:
    """The server's client connections, as one connection of them sees them."""

    others: int  # neither the asking connection nor a watcher
    watched: bool  # a watcher is connected


def clients(client: Any) -> Clients:
    """Count the server's clients from `client` (its own connection left out)."""
    own = client.client_id()
    others, watched = 0, False
    for c in client.client_list():
        if int(c.get("id", -1)) == own:
            continue
        if c.get("name") == LINGER_CLIENT:
            watched = True
        else:
            others += 1
    return Clients(others, watched)


def wait_watched(client: Any, watcher: subprocess.Popen[bytes], timeout_s: float) -> Clients:
    """The clients once the watcher this process started has connected (it has just been
    started by a short command, say), or has exited, or `timeout_s` has passed."""
    deadline = time.monotonic() + timeout_s
    seen = clients(client)
    while not seen.watched and watcher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
        seen = clients(client)
    return seen


def start_watcher(
    socket_file: str, pid: int, db_file: Path, redis_dir: str, linger_s: float, timeout_s: float
) -> subprocess.Popen[bytes]:
    """The watcher of the server `pid` that this process has just started: a process of its
    own session, so that it outlives the command and no terminal's signal reaches it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-P",  # not the working folder's own `app`, if it has one
            "-m",
            __name__,
            "--socket",
            socket_file,
            "--pid",
            str(pid),
            "--db-file",
            str(db_file),
            "--redis-dir",
            redis_dir,
            "--linger",
            str(linger_s),
            "--timeout",
            str(timeout_s),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    """The folder's start lock, held; nothing to hold when the folder is gone."""
    try:
        lock = lock_file.open("a")
    except OSError:
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _activity(client: Any) -> tuple[int, int]:
    """Other clients connected now, and connections ever made (a command that came and went
    between two looks counts too)."""
    return clients(client).others, int(client.info("stats")["total_connections_received"])


def watch(
    socket_file: str, pid: int, db_file: Path, redis_dir: str, linger_s: float, timeout_s: float
) -> None:
    """Stop the server once it has had no client but this one for `linger_s`; return when it
    is stopped, or when something else stopped it first."""
    client = Redis(
        unix_socket_path=socket_file,
        client_name=LINGER_CLIENT,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    lock_file = db_file.parent / START_LOCK
    idle_since, seen = time.monotonic(), -1
    try:
        while alive(pid):
            others, received = _activity(client)
            if others or received != seen:
                idle_since, seen = time.monotonic(), received
            elif time.monotonic() - idle_since >= linger_s:
                with _locked(lock_file):
                    if not alive(pid):
                        break
                    others, received = _activity(client)
                    if others or received != seen:
                        continue  # someone came: the next look starts the wait again
                    # A folder deleted under the server has nothing left to save into.
                    stop_server(
                        client,
                        pid,
                        db_file.parent / STOPPING,
                        time.monotonic() + timeout_s,
                        save=db_file.parent.is_dir(),
                    )
                    # Gone before the lock is let go: an open waiting for it must find no
                    # server to attach to (FalkorDB takes 1-2 s to tear down).
                    wait_until_gone(pid, timeout_s)
                    with contextlib.suppress(OSError):
                        shutil.rmtree(redis_dir)
                    return
            time.sleep(POLL_S)
    except RedisError:
        pass  # the server went away under the watcher: someone else stopped it


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--db-file", type=Path, required=True)
    parser.add_argument("--redis-dir", required=True)
    parser.add_argument("--linger", type=float, required=True)
    parser.add_argument("--timeout", type=float, required=True)
    a = parser.parse_args(argv)
    watch(a.socket, a.pid, a.db_file, a.redis_dir, a.linger, a.timeout)


if __name__ == "__main__":
    main()
