"""Embedded FalkorDB (falkordblite): a private redis-server with the graph module, data on disk."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError, ResponseError
from redis.retry import Retry
from redislite.falkordb_client import FalkorDB

from app.errors import (
    StoreError,
    StoreUnavailable,
)
from app.store import falkordb_schema, marks
from app.store.base import (
    GraphStore,
    Row,
    Schema,
    WriteSummary,
    check_parameters,
    name_query,
    query_name,
    read_deadline,
    read_timeout_s,
)
from app.store.batches import pipelined
from app.store.falkordb_bulk import BulkPath
from app.store.falkordb_linger import CONNECT_WAIT_S, Clients, clients, start_watcher, wait_watched
from app.store.falkordb_process import (
    ARENAS_VARIABLE,
    SERVER_CONFIG,
    SERVING_CLIENT,
    STOPPING,
    alive,
    answers,
    child_environment,
    compact_files,
    kill,
    last_words,
    registered_pid,
    stop_server,
    wait_for_stopped,
)
from app.store.falkordb_wire import (
    Reply,
    number_lists,
    params_header,
    refused,
    reply,
    text_columns,
    write_summary,
)
from app.store.properties import positional_rows
from app.store.reads import NumberLists

log = logging.getLogger(__name__)

# FalkorDB's refusal of a query whose graph was replaced (a reload) between its arrival and
# its run; nothing of it ran.
RELOADED_UNDER_QUERY = "Encountered different graph value when opened key"

# How long a server this process has just started may take to answer its first query on the
# graph (LOADING replies during a replay are answers, and wait as _send waits).
FIRST_ANSWER_S = 60.0


class FalkorStore(BulkPath, GraphStore):
    backend = "falkordb"
    has_bulk_path = True

    def __init__(
        self,
        db_file: Path,
        graph_name: str,
        socket_timeout: float = 600.0,
        malloc_arenas: int = 0,
        reload_after_nodes: int = 0,
        linger_s: float = 0.0,
        first_answer_s: float = FIRST_ANSWER_S,
    ) -> None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        self._file = db_file
        # The server this process starts (not one it attaches to) runs with these.
        self._server_env = {ARENAS_VARIABLE: str(malloc_arenas)} if malloc_arenas else {}
        self._log = db_file.parent / "falkordb.log"
        self._stopping = db_file.parent / STOPPING
        self._timeout = socket_timeout
        self._graph_name = graph_name
        self._reload_after = reload_after_nodes
        self._linger_s = linger_s  # a server this process starts outlives it by this much
        self._watcher: subprocess.Popen[bytes] | None = None
        self.nodes_created = 0  # by this store's writes since it opened or last settled
        self._serving = False  # mark_serving(): this process answers requests
        self._closed = False
        self._reviving = threading.Lock()
        self.restarts: list[dict[str, Any]] = []  # what supervision did (health shows it)
        wait_for_stopped(self._stopping)
        self._db = self._start()
        self._pid = self._db.client.pid
        self._graph = self._db.select_graph(graph_name)
        self._socket_timeout = socket_timeout
        self._first_answer(first_answer_s)
        self._wait_built(timeout_s=socket_timeout)

    def _first_answer(self, within_s: float) -> None:
        """Make sure the server answers a first query on the graph. FalkorDB 4.22.1 once
        started, answered PING, and then hung on the first query that created the graph: its
        main thread waiting for a lock of the module's that nobody held, at 0 s of CPU, for
        good (docs/robustness.md). A server this process started, with no other client, is
        stopped and started again from its files; one another process started is theirs to
        stop, and opening fails naming it, rather than waiting without end."""
        if answers(self._db.client.socket_file, self._graph_name, within_s, self._timeout):
            return
        client = self._db.client
        pid = int(client.pid)
        if not client.running:
            raise StoreUnavailable(
                f"the FalkorDB server of {self._file} (pid {pid}, started by another process) "
                f"did not answer a query within {within_s:.0f} s; stop it and open again"
            )
        reason = f"it did not answer its first query within {within_s:.0f} s"
        kill(pid)
        self.revive(reason)
        if not answers(self._db.client.socket_file, self._graph_name, within_s, self._timeout):
            raise StoreUnavailable(
                f"the FalkorDB server of {self._file} did not answer a query within "
                f"{within_s:.0f} s, twice (pid {pid}, then {self._pid})"
            )

    def _start(self) -> FalkorDB:
        """Start the server on the folder's files, or attach to the one running there. Under
        an exclusive lock on the folder, so that two processes never start two servers."""
        with (self._file.parent / "falkordb.start.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._forget_dead_server()
            try:
                with child_environment(self._server_env):
                    db = FalkorDB(
                        str(self._file.resolve()),
                        serverconfig={**SERVER_CONFIG, "logfile": str(self._log.resolve())},
                        # redis-py's default 5 s socket timeout would cut off big batches and
                        # the start-up replay of the append-only file.
                        socket_timeout=self._timeout,
                        socket_connect_timeout=self._timeout,
                    )
                # One quick retry, not redis-py's seconds of back-off: on a local socket a
                # refused connection means the server is gone, and supervision (revive)
                # brings it back faster than waiting would.
                db.client.set_retry(Retry(NoBackoff(), 1))
                # FalkorDB records recent queries, their parameters included, in a stream
                # (telemetry{<graph>}) that is saved with the data: personal data in the
                # files that no erasure reaches. Off, on every start (docs/security.md).
                with contextlib.suppress(RedisError):
                    db.execute_command("GRAPH.CONFIG", "SET", "CMD_INFO", "no")
                if db.client.running and self._linger_s > 0:
                    self._watcher = start_watcher(
                        db.client.socket_file,
                        int(db.client.pid),
                        self._file.resolve(),
                        db.client.redis_dir,
                        self._linger_s,
                        self._timeout,
                    )
                return db
            except Exception as exc:  # redislite raises its own exception types
                raise StoreError(
                    f"could not start embedded FalkorDB at {self._file}: {exc}"
                ) from exc

    def _forget_dead_server(self) -> None:
        """redislite attaches to the server its registry file names while that process
        exists, and a killed server stays a zombie until it is reaped: drop the registry of
        a server that is dead or a zombie, so that a new one is started."""
        pid = registered_pid(self._file)
        if pid is not None and not alive(pid):
            (self._file.parent / f"{self._file.name}.settings").unlink(missing_ok=True)

    def others_connected(self) -> int:
        """How many connections to the server are neither this store's nor a watcher's."""
        return clients(self._db.client).others

    # ---- supervision: the embedded server is a process of its own, and may die -------------

    def _server_alive(self) -> bool:
        return alive(self._db.client.pid)  # pid 0 once its process is gone

    def revive(self, reason: str = "") -> bool:
        """If the server process has died, start it again from the folder's files (the
        append-only file replays every acknowledged write) and use it; True when it did.
        Called by every failed query and by the service's watch (app/api/app.py), and by the
        open for a server it stopped (`reason` says why, instead of the server's log)."""
        if self._closed or self._server_alive():
            return False
        with self._reviving:
            if self._closed or self._server_alive():
                return False  # another thread got there first
            old = self._db.client
            pid, how = self._pid, "was stopped" if reason else "had stopped"
            reason = reason or last_words(self._log)  # before the new server logs
            started = time.monotonic()
            with contextlib.suppress(Exception):
                old.connection_pool.disconnect()
            self._db = self._start()
            self._pid = self._db.client.pid
            self._graph = self._db.select_graph(self._graph_name)
            if self._serving:
                self.mark_serving()
            self._wait_built(timeout_s=self._timeout)
            if old.redis_dir and old.redis_dir != self._db.client.redis_dir:
                shutil.rmtree(old.redis_dir, ignore_errors=True)
            event = {
                "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "reason": f"the FalkorDB server (pid {pid}) {how}: {reason}",
                "seconds": round(time.monotonic() - started, 2),
            }
            self.restarts.append(event)
            log.error("embedded FalkorDB restarted from its files: %s", event)
            return True

    @property
    def server_pid(self) -> int:
        """The embedded server's process (0 once it is gone)."""
        return int(self._db.client.pid)

    def supervision(self) -> dict[str, Any] | None:
        if not self.restarts:
            return None
        return {"restarts": len(self.restarts), "last": self.restarts[-1]}

    def _send(self, *args: Any) -> Any:
        """A command to the server. While it loads its data (a reload after bulk work, the
        replay of a restart) it answers LOADING without running anything, and a query it took
        just before a reload it refuses unrun: the command waits and is sent again, as it
        would wait behind a long write, within the socket timeout."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return self._db.execute_command(*args)
            except BusyLoadingError:
                pass
            except ResponseError as exc:
                # Taken before a reload and run after it: FalkorDB refuses it unrun.
                if RELOADED_UNDER_QUERY not in str(exc):
                    raise
            if time.monotonic() > deadline:
                raise StoreUnavailable("FalkorDB kept loading its data; the query was not run")
            time.sleep(0.02)

    def _execute(self, header: str, text: str, write: bool) -> Reply:
        """Send Cypher text behind its parameters header (already built); parse the result."""
        command = "GRAPH.QUERY" if write else "GRAPH.RO_QUERY"
        extra: tuple[str, ...] = ()
        if not write and read_deadline.get() is not None:  # a request's budget (reads only)
            extra = ("timeout", str(int(read_timeout_s(self._socket_timeout) * 1000) or 1))
        try:
            raw = self._send(command, self._graph_name, header + text, "--compact", *extra)
            done = reply(self._graph, raw)
            if write and query_name(text) not in marks.BOOKKEEPING:  # the nodes a settle counts
                self.nodes_created += int(done.stats.nodes_created)
            return done
        except ResponseError as exc:
            raise refused(exc, text) from exc
        except RedisError as exc:
            self.revive()  # the next query finds a server again
            raise StoreUnavailable(f"FalkorDB is unreachable: {exc}") from exc
        finally:
            if write:
                self.noted_write(text)

    def run_text(
        self, text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        check_parameters(params, write)
        done = self._execute(params_header(params), text, write)
        rows = [dict(zip(done.names, rec, strict=True)) for rec in done.rows]
        return rows, write_summary(done)

    def write_prepared(
        self,
        batches: Iterable[tuple[str, dict[str, Any], int]],
        on_batch: Callable[[int], None] | None = None,
    ) -> WriteSummary:
        """As the base class, but the next batch's parameters are turned into query text
        (the client's slow part) while the server writes the one before: one batch is
        in flight at a time, so writes stay in order. Rows of maps go by position where
        the statement allows (app/store/properties.py, positional_rows)."""
        total = WriteSummary()

        def encoded(item: tuple[str, dict[str, Any], int]) -> tuple[str, str, int]:
            text, params, n = item
            check_parameters(params, True)  # on the rows as given: keys under their names
            if by_position := positional_rows(text, params):
                text, params = by_position
            return params_header(params), text, n

        items = iter(batches)
        head = list(itertools.islice(items, 2))
        if len(head) < 2:  # one batch or none (real time, small changes): no sender thread
            for item in head:
                header, text, n = encoded(item)
                total.add(write_summary(self._execute(header, text, True)))
                if on_batch:
                    on_batch(n)
            return total
        for answer, n in pipelined(
            map(encoded, itertools.chain(head, items)),
            lambda item: (self._execute(item[0], item[1], True), item[2]),
        ):
            total.add(write_summary(answer))
            if on_batch:
                on_batch(n)
        return total

    def read_number_lists(self, name: str, **params: Any) -> NumberLists:
        """Asked without --compact, FalkorDB sends each list as one text ("[1, 2.500000]":
        numbers with 6 decimals) instead of a typed pair per number, which the client
        would otherwise parse one by one; numpy reads each column's texts in one call."""
        return number_lists(self._verbose(self.cypher(name), params), name)

    def read_texts(self, text: str, **params: Any) -> dict[str, list[Any]]:
        """Asked without --compact, FalkorDB sends a text as itself and a null as nil, read
        in C by the client, not as a [type, value] pair per value that our reader walks
        (docs/performance.md, "Reading records"). Floats, booleans and lists would come as
        texts too: only for columns that are texts."""
        return text_columns(self._verbose(text, params))

    def _verbose(self, text: str, params: Mapping[str, Any]) -> list[Any]:
        """A read's reply as FalkorDB sends it without --compact: header, rows, statistics."""
        check_parameters(params, False)
        query = params_header(params) + text
        try:
            raw = self._send("GRAPH.RO_QUERY", self._graph_name, query)
        except ResponseError as exc:
            raise refused(exc, text) from exc
        except RedisError as exc:
            raise StoreUnavailable(f"FalkorDB is unreachable: {exc}") from exc
        if isinstance(raw[-1], ResponseError):
            raise StoreError(f"FalkorDB failed running a read: {raw[-1]}")
        return list(raw)

    def setup_schema(self, schema: Schema | None = None) -> list[str]:
        return falkordb_schema.setup(
            self._graph, self._db.connection, self._graph_name, schema or Schema()
        )

    def _wait_built(self, timeout_s: float) -> None:
        falkordb_schema.wait_built(self._graph, timeout_s)

    def compact(self, timeout_s: float = 300.0) -> bool:
        """Rewrite the append-only file from the graph as it is now (the old file holds every
        write ever made, deleted values included) and write a fresh snapshot. FalkorDB's
        query telemetry stream (query texts with their parameters, written in the background
        for slow queries even with CMD_INFO off) is dropped first, and again until a snapshot
        is written without it."""
        try:
            with contextlib.suppress(ResponseError):
                self._db.execute_command("GRAPH.SLOWLOG", self._graph_name, "RESET")
            return compact_files(self._db.client, self._graph_name, time.monotonic() + timeout_s)
        except RedisError as exc:
            raise StoreUnavailable(f"FalkorDB is unreachable: {exc}") from exc

    @contextlib.contextmanager
    def batch_stage(self) -> Iterator[None]:
        """No automatic rewrite of the append-only file while the stage writes. A rewrite
        forks the server, and every page written while the fork lives is copied: a metrics
        batch at 100k peaked at 1,438-1,492 MB of store memory with rewrites, 1,302-1,310 MB
        without (docs/performance.md). When the stage ends, the server's own check rewrites
        the file if it has grown past the threshold, with nothing writing. Two stages at once
        on one server: the first to end lets rewrites happen again."""
        self._aof_rewrites("0")
        try:
            yield
        finally:
            self._aof_rewrites(SERVER_CONFIG["auto-aof-rewrite-percentage"])

    def _aof_rewrites(self, percentage: str) -> None:
        try:
            self._db.client.config_set("auto-aof-rewrite-percentage", percentage)
        except RedisError as exc:  # housekeeping: the stage's own writes will say if it is down
            log.warning("FalkorDB's append-only rewrite left as it was: %s", exc)

    def settle(self) -> float:
        """Reload the graph in the server from a snapshot of it (DEBUG RELOAD), so that it
        is laid out as after a restart; the seconds it took. Clients stay connected and
        their queries wait meanwhile (`_send` sends again what the server answers LOADING
        or refuses unrun during the reload); nothing acknowledged is lost (the snapshot is
        taken in the same step). Why: FalkorDB 4.22 charges the first node update after any node
        creation a time that grows with the node count, on a graph built by write queries
        only (bench/update_after_create.py; real time after a bulk resolve at 100k: p50
        12-13 ms against 8 ms). Called by close() when this store wrote many nodes into a
        server where another process serves requests (mark_serving); a process that does
        bulk work and goes on serving calls it itself."""
        started = time.monotonic()
        try:
            self._db.client.execute_command("DEBUG", "RELOAD")
        except ResponseError as exc:  # a server started without enable-debug-command
            log.warning("FalkorDB did not reload the graph after bulk writes: %s", exc)
            return 0.0
        except RedisError as exc:
            self.revive()
            raise StoreUnavailable(f"FalkorDB is unreachable: {exc}") from exc
        self._wait_built(timeout_s=self._timeout)
        self.nodes_created = 0
        seconds = round(time.monotonic() - started, 2)
        log.info("FalkorDB reloaded the graph after bulk writes in %.2f s", seconds)
        return seconds

    def mark_serving(self) -> None:
        """Name this process's connections to the server (CLIENT SETNAME), so that a bulk
        writer closing beside it sees that someone serves and settles the graph."""
        self._serving = True
        pool = self._db.client.connection_pool
        pool.connection_kwargs["client_name"] = SERVING_CLIENT
        pool.disconnect()
        pool.reset()  # new connections, made with the name
        # At once: a process closing beside one with no connection at all would take the
        # server for its own and stop it (redislite counts the server's connections).
        self._db.client.ping()
        # A server kept for the next command (falkordb_linger) holds what the commands before
        # wrote, by bulk writes too: laid out afresh before serving, as a start would do.
        if not self._db.client.running and clients(self._db.client) == Clients(0, True):
            self.settle()

    def _clients_at_close(self, client: Any) -> Clients:
        """The server's other clients; a watcher this process started is waited for first
        (a short command may close before it has connected)."""
        try:
            if self._watcher is not None and self._linger_s > 0:
                return wait_watched(client, self._watcher, CONNECT_WAIT_S)
            return clients(client)
        except RedisError:
            return Clients(others=0, watched=False)  # gone: stopping it does nothing

    def _others_serving(self) -> bool:
        return any(c.get("name") == SERVING_CLIENT for c in self._db.client.client_list())

    def ping(self) -> bool:
        try:
            return bool(self._db.client.ping())
        except RedisError:
            return self.revive() and bool(self._db.client.ping())

    def clear(self) -> None:
        # Not GRAPH.DELETE: FalkorDB 4.22 crashed (signal 11 in Schema_GetName) replaying an
        # append-only file that held a few dozen graph deletions and index re-creations, so the
        # server did not start again (about 20 open/clear/setup/close rounds on one folder, as
        # the tests do). Indexes stay; setup_schema() is idempotent.
        self._execute("", name_query("MATCH (n) DETACH DELETE n", marks.CLEAR), write=True)

    def _settle_on_close(self) -> bool:
        if self._serving or not self._reload_after or self.nodes_created < self._reload_after:
            return False
        with contextlib.suppress(RedisError):
            return self._others_serving()
        return False

    def close(self) -> None:
        self._closed = True  # supervision stops here: a closed store stays closed
        # redislite stops its server only when a single client connection is left; the
        # API's worker threads open several, so drop them first.
        client = self._db.client
        client.connection_pool.disconnect()
        # No retries from here on: the server drops the connection when it stops, and
        # redis-py would retry that with back-off (seconds).
        client.set_retry(Retry(NoBackoff(), 0))
        pid = client.pid
        seen = self._clients_at_close(client) if pid else None
        if seen is None or seen.others or (seen.watched and self._linger_s > 0):
            # Another process still uses the server, or its watcher keeps it for the next
            # command (app/store/falkordb_linger.py): leave it running, and if another process
            # serves requests and this one wrote many nodes, laid out afresh for its small
            # writes (settle). Alone, the server stops, and its next start does that.
            if self._settle_on_close():
                with contextlib.suppress(StoreError, RedisError):
                    self.settle()
            self._db.close()
            return
        stop_server(client, pid, self._stopping, time.monotonic() + self._timeout)
        redis_dir = client.redis_dir
        client.pidfile = None  # redislite's own clean-up has nothing left to stop
        client.socket_file = None
        if redis_dir:
            shutil.rmtree(redis_dir, ignore_errors=True)
