"""Change marks: which writers have changed the graph, and a batch stage that skips its work
when none of the writers whose data it reads has written since its last complete run
(docs/architecture.md, "Change marks").

Every write a backend sends is noted here (the backends call `GraphStore.noted_write`), so
no writer can forget to mark its change. A write is its writer's: the stage or load that
runs it (`writing_as(store, RESOLVE)`), else OTHER (real time, stewards, erasure, consent,
definitions, the API, the console). Each writer has a `ChangeMark` node with a counter (`seq`) and a
token set when the node is made (a mark deleted and made again never repeats an old one).
Inside `writing_as` the marks of whoever wrote are bumped once, when it ends (also on an
error); a write outside one bumps its writer's mark at once. Either way the bump comes after
the write, so a stage that reads the marks before its inputs sees every change it missed as
a changed mark on its next run. Locks, the marks themselves and the stages' own records of
their runs are bookkeeping: they change no stage's inputs and mark nothing.

Not seen: writes made outside identity-graph (Neo4j Browser, cypher-shell, redis-cli). After
such an edit run the stages with `--full`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from app.errors import StoreConflict

if TYPE_CHECKING:
    from app.store.base import GraphStore

OTHER = "other"
INGEST = "ingest"  # loads of files (idgraph load, load-dir, the demo)
RESOLVE = "resolve"  # idgraph resolve (the batch)
HOUSEHOLDS = "households"  # idgraph households (grouping, golden consent, Group DNA)
METRICS = "metrics"  # idgraph metrics (the batch) and the alerts it raises


def metric(name: str) -> str:
    """The mark a metrics batch bumps when it changed values of the metric `name` (a stage
    that reads one metric, such as Group DNA's churn risk, reads this mark, not METRICS)."""
    return f"metric:{name}"


CLEAR = "store_clear"  # GraphStore.clear (tests, demo resets): the stages' records go too
# Writes that change no stage's inputs: locks, the marks, the stages' records of their runs
# and of their inputs' digests, webhook deliveries' progress, the audit trail (every read of
# personal data adds to it; no stage reads it); and emptying the graph, which takes every
# stage's record with it (each runs in full next).
BOOKKEEPING = frozenset(
    {
        CLEAR,
        "record_audit",
        "record_read",
        "lock_take",
        "lock_release",
        "change_mark_bump",
        "stage_run_set",
        "resolve_state_set",
        "webhook_claim",
        "webhook_results",
    }
)


@dataclass
class _Unit:
    writers: set[str] = field(default_factory=set)


_WRITER: ContextVar[str] = ContextVar("idgraph_writer", default=OTHER)
_UNIT: ContextVar[_Unit | None] = ContextVar("idgraph_write_unit", default=None)


@contextmanager
def writing_as(store: GraphStore, writer: str) -> Iterator[set[str]]:
    """Writes inside (in this context and in threads started with a copy of it) are
    `writer`'s; the marks of every writer that wrote are bumped once, as it ends. Nested, the
    inner one names the writer and the outermost bumps. Yields the writers that have
    written so far (the outermost's)."""
    outer = _UNIT.get()
    named = _WRITER.set(writer)
    if outer is not None:
        try:
            yield outer.writers
        finally:
            _WRITER.reset(named)
        return
    unit = _Unit()
    held = _UNIT.set(unit)
    try:
        yield unit.writers
    finally:
        _UNIT.reset(held)
        _WRITER.reset(named)
        if unit.writers:
            bump(store, sorted(unit.writers))


def written_by[**P, R](writer: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A flow whose first argument is the store, as one unit of `writer`'s writes, bumped
    once as it returns (a real-time upsert sends several writes; a load, thousands)."""

    def wrap(flow: Callable[P, R]) -> Callable[P, R]:
        @wraps(flow)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            store = cast("GraphStore", args[0])
            with writing_as(store, writer):
                return flow(*args, **kwargs)

        return run

    return wrap


unit_of_work = written_by(OTHER)  # real time, stewards' actions


def moved_only_by(start: Mapping[str, str], end: Mapping[str, str], wrote: set[str]) -> bool:
    """Whether the marks went from `start` to `end` by one bump of each writer in `wrote` and
    nothing else: nobody else wrote in between (read `end` after the unit has ended)."""
    for writer in set(start) | set(end) | wrote:
        before, after = start.get(writer), end.get(writer)
        if writer not in wrote:
            if before != after:
                return False
        elif after is None:
            return False
        elif before is None:  # made by this bump: its first count
            if not after.endswith(":1"):
                return False
        else:
            token, _, seq = before.rpartition(":")
            if after != f"{token}:{int(seq) + 1}":
                return False
    return True


def noted(store: GraphStore, query: str | None) -> None:
    """A write (its query's name; None for text built in code) was sent to the store."""
    if query in BOOKKEEPING:
        return
    unit = _UNIT.get()
    if unit is not None:
        unit.writers.add(_WRITER.get())
    else:
        bump(store, [_WRITER.get()])


def bump(store: GraphStore, writers: Sequence[str]) -> None:
    """Move these writers' marks on. Two writers (a stage and its helper thread) whose first
    writes make a missing mark at once both MERGE it: where the store refuses the second
    as a duplicate (the Neo4j stand-in does; the write was rolled back), it is sent again
    and finds the mark made."""
    try:
        store.write("change_mark_bump", writers=list(writers), token=uuid.uuid4().hex)
    except StoreConflict:
        store.write("change_mark_bump", writers=list(writers), token=uuid.uuid4().hex)


def read_marks(store: GraphStore, writers: Sequence[str]) -> dict[str, str]:
    """The marks of these writers ("token:seq"; a writer that never wrote has none)."""
    wanted = set(writers)
    return {
        str(r["writer"]): f"{r['token']}:{r['seq']}"
        for r in store.read("change_marks")
        if r["writer"] in wanted
    }


def digest(*parts: Any) -> str:
    """A key of what else a stage's result depends on (settings, model, rules, the day)."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class StageRun:
    """A batch stage's check before it reads anything: the marks of the writers it reads and
    its key. `last` is its last complete run's summary when both are as they were then
    (nothing to do), else None."""

    stage: str
    marks: str
    key: str
    last: dict[str, Any] | None


def check(
    store: GraphStore, stage: str, reads: Sequence[str], key: str, full: bool = False
) -> StageRun:
    """Whether `stage` has anything to do: the marks of the writers in `reads`, as now, against
    its last complete run's (`full`: run anyway)."""
    marks = json.dumps(read_marks(store, reads), sort_keys=True)
    row = store.read_one("stage_run", stage=stage)
    last = None
    if not full and row is not None and (row["marks"], row["key"]) == (marks, key):
        last = json.loads(row["summary"])
    return StageRun(stage, marks, key, last)


def finished(store: GraphStore, run: StageRun, summary: Mapping[str, Any]) -> None:
    """Record a complete run of the stage: the marks and key it checked before it began."""
    store.write(
        "stage_run_set",
        stage=run.stage,
        marks=run.marks,
        key=run.key,
        summary=json.dumps(summary, sort_keys=True, default=str),
    )
