"""Counting what a stage sends to the store: the rows of every write query by query name,
and the store's own count of what changed (a spy on the real store, not a stand-in)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.store import GraphStore
from app.store.base import WriteSummary


def after_set(node: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """A node's properties after `SET n += props`, as the stores do it: a null removes the
    property."""
    out = {**node, **props}
    return {k: v for k, v in out.items() if v is not None}


@dataclass
class Written:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    summary: WriteSummary = field(default_factory=WriteSummary)

    @property
    def count(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def ids(self, query: str, key: str) -> set[str]:
        return {str(r[key]) for r in self.rows.get(query, [])}


@contextmanager
def counting(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[Written]:
    out = Written()
    write, write_batches, run_text = store.write, store.write_batches, store.run_text
    set_properties = store.set_properties
    # Only the outermost spied call counts (write_batches may call write), in each thread:
    # a stage may write from two at once (households write golden consent beside them).
    depth = threading.local()
    counted = threading.Lock()

    def outermost(rows: list[dict[str, Any]], name: str, call: Any) -> Any:
        depth.n = getattr(depth, "n", 0) + 1
        try:
            summary = call()
        finally:
            depth.n -= 1
        if depth.n == 0:
            with counted:
                if rows:
                    out.rows[name].extend(rows)
                out.summary.add(summary)
        return summary

    def counted_write(name: str, **params: Any) -> WriteSummary:
        rows = list(params.get("rows") or [])
        return outermost(rows, name, lambda: write(name, **params))  # type: ignore[no-any-return]

    def counted_write_batches(name: str, rows: Any, batch_size: int, *a: Any, **kw: Any) -> Any:
        rows = list(rows)
        return outermost(rows, name, lambda: write_batches(name, rows, batch_size, *a, **kw))

    def counted_set_properties(
        name: str, label: str, key: str, rows: Any, batch_size: int, *a: Any, **kw: Any
    ) -> Any:
        rows = list(rows)
        # Recorded as a map-form row of the same write would be: {key: ..., "props": {...}}
        shown = [{key: k, "props": dict(props)} for k, props in rows]
        return outermost(
            shown, name, lambda: set_properties(name, label, key, rows, batch_size, *a, **kw)
        )

    def counted_run_text(
        text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[dict[str, Any]], WriteSummary]:
        if not write:
            return run_text(text, params, write=write)
        found: list[Any] = []

        def call() -> WriteSummary:
            found[:] = run_text(text, params, write=write)
            return found[1]  # type: ignore[no-any-return]

        outermost(list((params or {}).get("rows") or []), "(text)", call)
        return found[0], found[1]

    with monkeypatch.context() as m:
        m.setattr(store, "write", counted_write)
        m.setattr(store, "write_batches", counted_write_batches)
        m.setattr(store, "set_properties", counted_set_properties)
        m.setattr(store, "run_text", counted_run_text)
        yield out
