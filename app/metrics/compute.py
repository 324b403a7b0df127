"""Computing metrics: the same pipeline for every active profile (batch) and for the one
profile an event touched. Aggregates and preferences are folded from one read of the
interactions (app/metrics/columnar.py), factual metrics from per-record rows
(app/metrics/facts.py), formulas and models over whole columns in Python; only values that
changed are written back, with their history."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.gcpause import gc_paused
from app.metrics import columnar, facts, formula
from app.metrics.changes import MetricChange, Value
from app.metrics.definitions import (
    Definition,
    Formula,
    Model,
    window_ms,
)
from app.metrics.models import load_model
from app.metrics.storage import (
    DATA,
    STATE,
    State,
    Stored,
    first_change,
    first_props,
    iso,
    prop,
    same,
    update,
)
from app.settings import Settings
from app.store import GraphStore
from app.store.reads import pages

LABEL = "Profile"
Step = Callable[[str, int], None]  # (what, how many) for progress
_READS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics-read")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def epoch_ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


@dataclass
class Snapshot:
    """Metric values of a set of profiles, computed but not yet stored."""

    ids: list[str]
    stored: list[State]  # what each profile holds now
    columns: dict[str, list[Value]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)  # model metric -> model version

    def value(self, profile_id: str, metric: str) -> Value:
        return self.columns[metric][self.ids.index(profile_id)]


def _read(store: GraphStore, base: str, pages: Sequence[list[str]], **params: Any) -> list[Any]:
    """metrics_<base>_of for the profiles of `pages`, a page at a time."""
    return [r for ids in pages for r in store.read(f"metrics_{base}_of", ids=ids, **params)]


def pages_of(store: GraphStore, ids: Sequence[str] | None, page: int) -> list[list[str]]:
    """`ids` (None: every active profile) in pages of `page` profiles: a batch's reads send
    a page at a time, so that what the store holds for an answer is bounded by the page, not
    by the graph (a million records: 1.6 GB for one read of every profile's interactions)."""
    if ids is None:
        ids = [str(r["profileId"]) for r in store.read("metrics_profiles_active")]
    return pages(ids, page)


def _since(now_ms: int, window: str) -> int | None:
    span = window_ms(window)
    return None if span is None else now_ms - span


def _rounded(v: Any) -> Value:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return None
    if isinstance(v, np.integer | int) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, np.floating | float):
        return round(float(v), 6)
    return v


def _array(values: list[Value]) -> np.ndarray[Any, Any]:
    """Numbers (and booleans) as float64 with NaN for none; anything else as objects."""
    if all(v is None or isinstance(v, int | float) for v in values):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return np.array(values, dtype=object)


def evaluate(
    store: GraphStore,
    definitions: Sequence[Definition],
    now: datetime,
    model_dir: Path,
    ids: Sequence[str] | None = None,
    step: Step | None = None,
    *,
    page: int,
) -> Snapshot:
    """Every definition's value for every active profile (ids None) or for those of ids,
    as of `now`, reading `page` profiles at a time. Definitions must be in dependency order
    (registry.running gives that)."""
    now_ms = epoch_ms(now)
    pages = pages_of(store, ids, page)
    by_kind: defaultdict[str, list[Any]] = defaultdict(list)
    for d in definitions:
        by_kind[d.kind].append(d)
    fields = sorted({d.field for d in by_kind["factual"]})
    # The three reads go to the store at once: the server works on one while the client
    # parses another (a batch's reads take seconds each).
    pending_events = (
        _READS.submit(columnar.read_events, store, pages, now_ms, ids is None)
        if by_kind["aggregate"] or by_kind["preference"]
        else None
    )
    pending_facts = _READS.submit(_read, store, "facts", pages, fields=fields) if fields else None
    state = _read(store, "state", pages)
    snap = Snapshot(
        ids=[str(r["profileId"]) for r in state], stored=[State.parse(r["state"]) for r in state]
    )
    if step:
        step("profiles read", len(snap.ids))
    events = pending_events.result().placed(snap.ids) if pending_events else None
    fact_rows = pending_facts.result() if pending_facts else []
    if not snap.ids:
        return snap
    if events is not None:
        snap.columns.update(columnar.aggregates(events, by_kind["aggregate"], now_ms, _rounded))
        snap.columns.update(columnar.preferences(events, by_kind["preference"], now_ms, _rounded))
    if step:
        step("aggregates", len(by_kind["aggregate"]))
    if fields:
        snap.columns.update(facts.fold(fact_rows, by_kind["factual"], fields, snap.ids, _rounded))
    if step:
        step("facts and preferences", len(by_kind["factual"]) + len(by_kind["preference"]))
    n = len(snap.ids)
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for d in definitions:  # formulas and models read earlier metrics: dependency order
        if isinstance(d, Formula):
            names = d.depends_on()
            cols = {k: arrays.get(k, _array(snap.columns[k])) for k in names}
            snap.columns[d.name] = [_rounded(v) for v in formula.evaluate(d.expression, cols, n)]
        elif isinstance(d, Model):
            model = load_model(d.model, model_dir)
            cols = {k: arrays.get(k, _array(snap.columns[k])) for k in model.features}
            snap.columns[d.name] = list(model.score(cols, n))
            snap.versions[d.name] = model.version
    if step:
        step("formulas and models", len(by_kind["formula"]) + len(by_kind["model"]))
    return snap


History = dict[str, Any]  # a profile's history properties on its node (storage.py)
HISTORY = ("at", "ht", "hv", "hc")


def _histories(store: GraphStore, wanted: dict[str, list[str]], batch: int) -> dict[str, History]:
    """profileId -> the history properties of its metrics that changed."""
    keys = {pid: [prop(m, sfx) for m in names for sfx in HISTORY] for pid, names in wanted.items()}
    rows = [{"profileId": pid, "keys": k} for pid, k in keys.items()]
    out: dict[str, History] = {}
    for lo in range(0, len(rows), batch):
        for r in store.read("metrics_history_of", rows=rows[lo : lo + batch]):
            pid = str(r["profileId"])
            out[pid] = dict(zip(keys[pid], r["values"], strict=True))
    return out


@dataclass
class Plan:
    """What a computation will write: the profiles whose metrics (or model versions) changed,
    in order, with the metrics that changed and the histories of those that have one."""

    order: list[int]  # positions in the snapshot
    wanted: dict[str, list[str]]
    histories: dict[str, History]


def plan_changes(
    store: GraphStore, snap: Snapshot, definitions: Sequence[Definition], batch: int
) -> Plan:
    """Compare the new values with the stored state; read the histories of changed metrics
    that have one."""
    wanted: dict[str, list[str]] = {}
    want_history: dict[str, list[str]] = {}
    order: list[int] = []
    names = [d.name for d in definitions]
    columns = [snap.columns[n] for n in names]
    for i, pid in enumerate(snap.ids):
        st = snap.stored[i]
        held = st.values
        if not held and not st.history:  # never computed: every metric is new
            wanted[pid] = names
        else:
            changed = [
                n
                for n, col in zip(names, columns, strict=True)
                if n not in held or not same(held[n], col[i])
            ]
            if changed:
                wanted[pid] = changed
                with_history = set(st.history)
                want_history[pid] = [m for m in changed if m in with_history]
        if pid in wanted or (
            snap.versions and any(st.versions.get(m) != v for m, v in snap.versions.items())
        ):
            order.append(i)
    histories = _histories(store, {p: m for p, m in want_history.items() if m}, batch)
    return Plan(order, wanted, histories)


@dataclass
class Changes:
    """A computation's metric changes: how many values changed, of which metrics, and the
    changes themselves of the metrics in `handed_on` (of every metric when it is None). The
    metrics batch hands on only what alert rules watch: they name a few of its metrics, and
    the first run over a million records changed 7.2 million values (~1 GB of changes)."""

    handed_on: frozenset[str] | None = None
    kept: list[MetricChange] = field(default_factory=list)
    values: int = 0
    metrics: set[str] = field(default_factory=set)

    def noted(self, metric: str) -> bool:
        """Count one changed value of `metric`; whether its change is to be kept (a first
        value's change is built only then)."""
        self.values += 1
        self.metrics.add(metric)
        return self.handed_on is None or metric in self.handed_on


def change_rows(
    snap: Snapshot,
    definitions: Sequence[Definition],
    plan: Plan,
    now: datetime,
    keep: int,
    changes: Changes,
    cause: str = DATA,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Write rows (profileId, properties) for the planned profiles, one at a time (so that the
    store can write a batch while the next is built), each change added to `changes`; every
    new history point has `cause` (app/metrics/storage.py)."""
    names = [d.name for d in definitions]
    columns = [snap.columns[n] for n in names]
    at = iso(now)
    for i in plan.order:
        pid = snap.ids[i]
        st = snap.stored[i]
        props: dict[str, Any] = {}
        wanted = plan.wanted.get(pid, [])
        if not st.values and not st.history:
            for name, col in zip(names, columns, strict=True):
                value = col[i]
                if value is None:
                    continue
                props |= first_props(name, value, at, cause)
                if changes.noted(name):
                    changes.kept.append(first_change(LABEL, pid, name, value, at, cause))
        else:
            for name in wanted:
                held = {prop(name): st.values.get(name), prop(name, "ver"): st.versions.get(name)}
                old = Stored.of(name, held | plan.histories.get(pid, {}))
                value = snap.columns[name][i]
                new, change = update(LABEL, pid, name, old, value, at, keep, cause)
                props |= new
                if change and changes.noted(name):
                    changes.kept.append(change)
        for name, version in snap.versions.items():
            if st.versions.get(name) != version:
                props[prop(name, "ver")] = version
        history = set(st.history) | {c for c in wanted if prop(c, "at") in props}
        state = State(
            {n: col[i] for n, col in zip(names, columns, strict=True)},
            dict(snap.versions),
            sorted(history),
        )
        props[STATE] = state.dump()
        yield pid, props


@dataclass
class RunSummary:
    profiles: int = 0
    metrics: int = 0
    changes: list[MetricChange] = field(default_factory=list)  # those handed on
    changed_values: int = 0  # every value that changed
    changed_metrics: set[str] = field(default_factory=set)  # the metrics they belong to
    profiles_written: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def run(
    store: GraphStore,
    settings: Settings,
    definitions: Sequence[Definition],
    now: datetime | None = None,
    ids: Sequence[str] | None = None,
    step: Step | None = None,
    on_batch: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
    cause: str = DATA,
    handed_on: Collection[str] | None = None,
) -> RunSummary:
    """Compute and store: every active profile (ids None) or the ones given; what changed
    has `cause` ("data", or "identity:<auditId>" after a change of the profile's records).
    The summary's `changes` are those of the metrics in `handed_on` (all when None); it
    counts every change."""
    wanted = None if handed_on is None else frozenset(handed_on)
    with gc_paused():
        return _run(store, settings, definitions, now, ids, step, on_batch, on_rows, cause, wanted)


def _run(
    store: GraphStore,
    settings: Settings,
    definitions: Sequence[Definition],
    now: datetime | None,
    ids: Sequence[str] | None,
    step: Step | None,
    on_batch: Callable[[int], None] | None,
    on_rows: Callable[[int], None] | None,
    cause: str,
    handed_on: frozenset[str] | None,
) -> RunSummary:
    from app.metrics.registry import model_dir

    started = time.perf_counter()
    now = now or now_utc()
    snap = evaluate(
        store, definitions, now, model_dir(settings), ids, step, page=settings.read_page
    )
    t_eval = time.perf_counter()
    plan = plan_changes(store, snap, definitions, settings.batch_size)
    t_diff = time.perf_counter()
    if on_rows:
        on_rows(len(plan.order))
    changes = Changes(handed_on)
    rows = change_rows(snap, definitions, plan, now, settings.metrics_history, changes, cause)
    store.set_properties("metrics_write", LABEL, "profileId", rows, settings.batch_size, on_batch)
    end = time.perf_counter()
    return RunSummary(
        profiles=len(snap.ids),
        metrics=len(definitions),
        changes=changes.kept,
        changed_values=changes.values,
        changed_metrics=changes.metrics,
        profiles_written=len(plan.order),
        seconds=round(end - started, 3),
        timings={
            "compute": round(t_eval - started, 3),
            "compare": round(t_diff - t_eval, 3),  # and read the histories
            "write": round(end - t_diff, 3),  # build the rows and write them
        },
    )
