"""Writes sent from a background thread, in order, while the caller computes the next ones:
the graph work runs in the store's process (or server) while this process prepares rows, so
on two cores the two overlap instead of taking turns."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from contextvars import copy_context
from types import TracebackType
from typing import Any

from app.errors import BulkUnsupported
from app.store.base import BulkEdges, BulkNodes, GraphStore, Row, Schema, WriteSummary

Job = Callable[[], WriteSummary | None]


class BackgroundWriter:
    """`with BackgroundWriter(store, batch_size) as w: w.put("query", rows)`: jobs run one
    at a time in the order given; the first failure is raised at the next put or at exit,
    and the jobs after it are dropped (earlier ones stay written)."""

    def __init__(
        self,
        store: GraphStore,
        batch_size: int,
        depth: int = 4,
        on_queued: Callable[[int], None] | None = None,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        """`on_queued(total)` with the rows handed over so far, `on_written(n)` as a batch
        of them is written (from the writer's thread): a progress display's total and
        advance."""
        self.store, self.batch_size = store, batch_size
        self._on_queued, self._on_written = on_queued, on_written
        self.queued = 0  # rows handed over
        self.summary = WriteSummary()
        self._hold: frozenset[str] = frozenset()
        self.held: dict[str, list[Row]] = {}  # rows kept for `bulk`, by query, in put order
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        # In the caller's context: its writes are the caller's writer's (app/store/marks.py).
        self._thread = threading.Thread(
            target=copy_context().run, args=(self._run,), name="graph-writer", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue  # drain after a failure; the caller raises it
            try:
                done = job()
                if done is not None:
                    self.summary.add(done)
            except BaseException as exc:
                self._error = exc

    def call(self, job: Job) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def keep(self, names: Collection[str]) -> None:
        """From now on, rows put for these queries are kept (in `held`) for `bulk` instead of
        written."""
        self._hold = frozenset(names)

    def _count(self, rows: Sequence[Any]) -> None:
        self.queued += len(rows)
        if self._on_queued:
            self._on_queued(self.queued)

    def put(self, name: str, rows: list[Row], **params: Any) -> None:
        if rows:
            self._count(rows)
            if name in self._hold and not params:
                self.held.setdefault(name, []).extend(rows)
                return
            self.call(
                lambda: self.store.write_batches(
                    name, rows, self.batch_size, on_batch=self._on_written, **params
                )
            )

    def put_properties(
        self, name: str, label: str, key: str, rows: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> None:
        """`store.set_properties` of these rows, after the jobs before it."""
        if rows:
            self._count(rows)
            self.call(
                lambda: self.store.set_properties(
                    name, label, key, rows, self.batch_size, on_batch=self._on_written
                )
            )

    def bulk(self, nodes: Sequence[BulkNodes], edges: Sequence[BulkEdges]) -> None:
        """After the jobs before it: these nodes and relationships (none of which exist yet)
        by the store's bulk path, standing for the held rows; where the store has no bulk
        path or refuses it (BulkUnsupported: the labels have nodes by now), the held rows
        by their queries, in the order they were put."""
        held, self.held, self._hold = self.held, {}, frozenset()
        total = sum(len(rows) for rows in held.values())

        def job() -> WriteSummary:
            try:
                done = self.store.bulk_load(nodes, edges)
            except BulkUnsupported:
                done = WriteSummary()
                for name, rows in held.items():
                    done.add(
                        self.store.write_batches(
                            name, rows, self.batch_size, on_batch=self._on_written
                        )
                    )
                return done
            if self._on_written:
                self._on_written(total)
            return done

        self.call(job)

    def write(self, name: str, **params: Any) -> None:
        self.call(lambda: self.store.write(name, **params))

    def setup_schema(self, schema: Schema) -> None:
        """`store.setup_schema`, after the jobs before it (the store builds what it creates
        in the background; this does not wait for that)."""

        def job() -> None:
            self.store.setup_schema(schema)

        self.call(job)

    def finish(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.finish()
        else:  # stop quietly: the caller's exception is the one to see
            self._jobs.put(None)
            self._thread.join()
