"""A named lock shared by every process using the same store (API replicas, CLI runs): a
`Lock` node with a holder and a lease, taken by a write that sets the node before reading
its holder (cypher/lock_take.cypher), so Neo4j's write lock serialises the takers and
FalkorDB's one-query-at-a-time writes do the same. A holder that dies frees it when its
lease runs out; a live holder's lease is renewed in the background."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from types import TracebackType
from typing import TYPE_CHECKING

from app.errors import LockLost, LockTimeout, StoreConflict, StoreError

if TYPE_CHECKING:
    from app.store.base import GraphStore

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return int(time.time() * 1000)


class StoreLock:
    """`with store.lock("resolution", ttl_s=60):` one holder at a time across processes.
    Not re-entrant: a second `with` on the same name waits like any other taker."""

    def __init__(
        self,
        store: GraphStore,
        name: str,
        ttl_s: float,
        wait_s: float,
        poll_s: float,
        renew: bool = True,
    ) -> None:
        if ttl_s <= 0 or wait_s < 0 or poll_s <= 0:
            raise ValueError("ttl_s and poll_s must be > 0 and wait_s >= 0")
        self.store = store
        self.name = name
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.poll_s = poll_s
        self.renews = renew
        self.token = (
            f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
        )
        self.lost: str | None = None
        self._held = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def _take(self) -> tuple[bool, str | None, int | None]:
        now = _now_ms()
        rows, _ = self.store.run_text(
            self.store.cypher("lock_take"),
            {
                "name": self.name,
                "token": self.token,
                "nowMs": now,
                "untilMs": now + int(self.ttl_s * 1000),
            },
            write=True,
        )
        row = rows[0]
        return bool(row["taken"]), row["holder"], row["expiresAtMs"]

    def acquire(self) -> StoreLock:
        self._stop = threading.Event()  # a lock object may be taken again after release
        self.lost = None
        deadline = time.monotonic() + self.wait_s
        holder: str | None = None
        until: int | None = None
        while True:
            try:
                taken, holder, until = self._take()
            except StoreConflict:  # two first takers created the Lock node at once
                taken = False
            if taken:
                self._held = True
                if self.renews:
                    self._heartbeat = threading.Thread(
                        target=self._renew_loop, name=f"lock-{self.name}", daemon=True
                    )
                    self._heartbeat.start()
                return self
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"lock {self.name!r} is held by {holder} (lease until "
                    f"{time.strftime('%H:%M:%S', time.localtime((until or 0) / 1000))}); "
                    f"waited {self.wait_s:g}s"
                )
            time.sleep(self.poll_s)

    def renew(self) -> None:
        """Extend the lease now; raise LockLost if another holder has it."""
        taken, holder, _ = self._take()
        if not taken:
            self.lost = f"lock {self.name!r} was taken over by {holder}: the lease ran out"
            raise LockLost(self.lost)

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self.renew()
            except LockLost:
                log.error("%s", self.lost)
                return
            except StoreError as exc:  # try again at the next tick, while the lease runs
                log.warning("could not renew lock %r: %s", self.name, exc)

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        if self._held:
            self._held = False
            rows, _ = self.store.run_text(
                self.store.cypher("lock_release"),
                {"name": self.name, "token": self.token, "nowMs": _now_ms()},
                write=True,
            )
            if not rows or not rows[0]["released"]:
                self.lost = self.lost or f"lock {self.name!r} was taken over: the lease ran out"
        if self.lost:
            raise LockLost(f"{self.lost}; the work done under it was not exclusive")

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.release()
        except LockLost:
            if exc is None:
                raise
            log.error("%s", self.lost)  # the body's own error says more
