"""store.lock(name): one holder at a time across threads and processes, on every backend; a
dead holder's lease runs out; a waiter gives up with who holds it."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.errors import LockLost, LockTimeout
from app.settings import Settings
from app.store import GraphStore

ROOT = Path(__file__).resolve().parents[1]


def test_threads_never_hold_it_at_once(store: GraphStore) -> None:
    inside: list[str] = []
    overlaps: list[list[str]] = []
    entries: list[str] = []
    guard = threading.Lock()

    def worker(name: str) -> None:
        for _ in range(5):
            with store.lock("resolution", ttl_s=10, wait_s=60, poll_s=0.01):
                with guard:
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(list(inside))
                    entries.append(name)
                time.sleep(0.01)
                with guard:
                    inside.remove(name)

    threads = [threading.Thread(target=worker, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert sorted(entries) == sorted([f"t{i}" for i in range(4)] * 5)


_HOLDER = """
import json, sys, time
from app.settings import Settings
from app.store import open_store
settings = Settings.model_validate_json(sys.argv[1])
with open_store(settings) as store:
    for _ in range(3):
        with store.lock("steward", ttl_s=10, wait_s=60, poll_s=0.01):
            start = time.time()
            time.sleep(0.05)
            print(json.dumps([start, time.time()]), flush=True)
"""


_STUCK = """
import sys, time
from app.settings import Settings
from app.store import open_store
store = open_store(Settings.model_validate_json(sys.argv[1]))
store.lock("resolution", ttl_s=1).acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_processes_never_hold_it_at_once(store: GraphStore, backend_settings: Settings) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _HOLDER, backend_settings.model_dump_json()],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    spans = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        spans += [tuple(json.loads(line)) for line in out.splitlines()]
    spans.sort()
    assert len(spans) == 6
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # each holder left before the next came in


def test_a_waiter_gives_up_naming_the_holder(store: GraphStore) -> None:
    with store.lock("resolution", ttl_s=30) as held:
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught:
            store.lock("resolution", ttl_s=30, wait_s=0.3).acquire()
        assert 0.3 <= time.monotonic() - started < 5
        assert held.token in str(caught.value)
    with store.lock("resolution", wait_s=0):  # free again
        pass


def test_a_killed_holders_lease_runs_out(store: GraphStore, backend_settings: Settings) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _STUCK, backend_settings.model_dump_json()],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with pytest.raises(LockTimeout):
        store.lock("resolution", wait_s=0).acquire()
    started = time.monotonic()
    with store.lock("resolution", ttl_s=30, wait_s=10):
        assert time.monotonic() - started < 3  # its lease was 1 s


def test_a_stalled_holder_cannot_release_the_next_ones_lock(store: GraphStore) -> None:
    stalled = store.lock("resolution", ttl_s=0.3, renew=False).acquire()  # e.g. a long pause
    with store.lock("resolution", ttl_s=30, wait_s=10) as alive:
        with pytest.raises(LockLost):
            stalled.release()  # too late: this must not free the new holder's lock
        with pytest.raises(LockTimeout):
            store.lock("resolution", wait_s=0).acquire()
        assert alive.lost is None


def test_a_long_holder_keeps_it_by_renewing(store: GraphStore) -> None:
    with store.lock("resolution", ttl_s=0.6) as held:
        time.sleep(1.5)  # past two leases: the heartbeat renewed it
        with pytest.raises(LockTimeout):
            store.lock("resolution", wait_s=0).acquire()
    assert held.lost is None


def test_one_lock_object_can_be_taken_again_after_release(store: GraphStore) -> None:
    lock = store.lock("resolution", ttl_s=0.6)
    for _ in range(2):
        with lock:
            time.sleep(0.3)  # the heartbeat runs each time
            with pytest.raises(LockTimeout):
                store.lock("resolution", wait_s=0).acquire()
    with store.lock("resolution", wait_s=0):  # and was released each time
        pass
