"""Batch runs: every active profile's metrics with a progress bar (`idgraph metrics`, the
demo), and training a propensity model on the graph's own history (`idgraph fit-model`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import numpy as np
from rich import get_console
from rich.console import Console

from app.errors import ConfigError, InputError
from app.metrics import registry
from app.metrics.columnar import read_events
from app.metrics.compute import RunSummary, epoch_ms, evaluate, now_utc, pages_of, run
from app.metrics.definitions import Definition, Model, window_ms
from app.metrics.models import LogisticModel, fit_logistic
from app.progress import stage_progress
from app.settings import Settings
from app.store import GraphStore, marks
from app.store.base import batch_stage


def resolve_now(store: GraphStore, when: str | None) -> datetime:
    """`None`: the clock; "latest": the newest interaction's time (replaying a data set such
    as the demo's, which lies in the past); else an ISO 8601 date-time (UTC if naive)."""
    if when is None:
        return now_utc()
    if when == "latest":
        row = store.read_one("metrics_latest_event")
        if not row or row["ts"] is None:
            return now_utc()
        return datetime.fromtimestamp(int(row["ts"]) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--now: {when!r} is not an ISO date-time or 'latest'") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


STAGE = "metrics"  # its StageRun node
# Records, interactions, profiles' members (loads, real time, stewards, erasure; resolve);
# not what households write.
READS = (marks.OTHER, marks.INGEST, marks.RESOLVE)


@batch_stage
def run_batch(
    store: GraphStore,
    settings: Settings,
    now: datetime | None = None,
    console: Console | None = None,
    show_progress: bool = True,
    full: bool = False,
    handed_on: Callable[[], Collection[str]] | None = None,
) -> RunSummary:
    """Recompute every active profile's metrics, writing what changed. Skipped when no writer
    it reads from has written since its last complete run as of the same time with the same
    definitions (`full`: compute and compare anyway). Each metric whose values changed has
    its mark bumped (marks.metric). The summary's changes are those of the metrics
    `handed_on()` names (all when None), asked for only when the batch runs: a skipped one
    reads nothing but its marks."""
    started = time.perf_counter()
    now = now or now_utc()
    defs = registry.running(settings)
    with marks.writing_as(store, marks.METRICS):
        run = marks.check(store, STAGE, READS, _key(settings, defs, now), full)
        if run.last is not None:
            seconds = round(time.perf_counter() - started, 3)
            return RunSummary(profiles=run.last["profiles"], metrics=len(defs), seconds=seconds)
        wanted = None if handed_on is None else handed_on()
        summary = _compute(store, settings, defs, now, console, show_progress, wanted)
        if moved := sorted(marks.metric(m) for m in summary.changed_metrics):
            marks.bump(store, moved)
        marks.finished(store, run, {"profiles": summary.profiles})
    return summary


def _key(settings: Settings, defs: tuple[Definition, ...], now: datetime) -> str:
    """What a batch's result depends on besides the graph: the definitions, the models'
    files, the time and the settings."""
    mdir = registry.model_dir(settings)
    models = {
        d.name: hashlib.blake2b((mdir / d.model).read_bytes()).hexdigest()
        for d in defs
        if isinstance(d, Model) and (mdir / d.model).is_file()
    }
    return marks.digest(
        [d.model_dump(mode="json") for d in defs],
        models,
        epoch_ms(now),
        settings.model_dump(mode="json"),
    )


def _compute(
    store: GraphStore,
    settings: Settings,
    defs: tuple[Definition, ...],
    now: datetime,
    console: Console | None,
    show_progress: bool,
    handed_on: Collection[str] | None,
) -> RunSummary:
    with stage_progress(console or get_console(), show_progress) as bar:
        phases = bar.add_task("metrics: reading and computing", total=4, unit="")
        write = bar.add_task("metrics: writing", total=None, start=False, unit="profiles")

        def step(what: str, n: int) -> None:
            bar.update(phases, advance=1, description=f"metrics: {what}")

        def rows(n: int) -> None:
            bar.start_task(write)
            bar.update(write, total=n)

        return run(
            store,
            settings,
            defs,
            now,
            step=step,
            on_rows=rows,
            on_batch=lambda n: bar.advance(write, n),
            handed_on=handed_on,
        )


def fit_model(
    store: GraphStore,
    settings: Settings,
    name: str,
    target_types: tuple[str, ...],
    horizon: str,
    features: tuple[str, ...] | None,
    now: datetime | None = None,
    *,
    actor: str,
) -> tuple[LogisticModel, float, int, Definition]:
    """Learn P(an interaction of target_types within `horizon`) from the metrics as they stood
    `horizon` before now, save the model and define the metric `name` that scores it.
    Returns (model, held-out AUC, profiles trained on, definition)."""
    span = window_ms(horizon)
    if span is None:
        raise ConfigError("--horizon must be a window such as 30d, not 'all'")
    now = now or now_utc()
    cutoff = now - timedelta(milliseconds=span)
    defs = registry.running(settings)
    numeric = [d.name for d in defs if d.kind in ("aggregate", "formula")]
    chosen = features or tuple(numeric)
    unknown = [f for f in chosen if f not in {d.name for d in defs}]
    if unknown:
        raise ConfigError(f"--features: unknown metric(s) {', '.join(unknown)}")
    needed = _with_dependencies(defs, set(chosen))
    mdir = registry.model_dir(settings)
    before = evaluate(store, needed, cutoff, mdir, page=settings.read_page)
    if not before.ids:
        raise ConfigError("no active profiles to learn from: load and resolve data first")
    x = np.column_stack(
        [np.array([np.nan if v is None else float(v) for v in before.columns[f]]) for f in chosen]
    )
    pages = pages_of(store, before.ids, settings.read_page)
    events = read_events(store, pages, epoch_ms(now), packed=True).placed(before.ids)
    hit = (events.ts > epoch_ms(cutoff)) & np.isin(
        events.codes["type"], events.code_set("type", target_types)
    )
    y = (np.bincount(events.profile[hit], minlength=len(before.ids)) > 0).astype(int)
    target = f"any of {', '.join(target_types)} within {horizon}"
    model, auc = fit_logistic(x, y, tuple(chosen), target)
    model.save(mdir / f"{name}.json")
    definition = Model(
        name=name,
        kind="model",
        model=f"{name}.json",
        description=f"Propensity: {target} (model {model.version}, held-out AUC {auc:.3f}).",
    )
    registry.define_by(store, settings, definition, actor)
    return model, auc, len(y), definition


def _with_dependencies(defs: tuple[Definition, ...], names: set[str]) -> list[Definition]:
    """The definitions needed to compute `names`, in dependency order."""
    by_name = {d.name: d for d in defs}
    need: set[str] = set()
    todo = list(names)
    while todo:
        n = todo.pop()
        if n in need:
            continue
        need.add(n)
        d = by_name[n]
        todo.extend(d.depends_on() if not isinstance(d, Model) else ())
    return [d for d in defs if d.name in need]
