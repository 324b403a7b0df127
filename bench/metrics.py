"""Customer DNA metrics: batch recompute for N profiles and per-event latency.

    .venv/bin/python -m bench.metrics --profiles 100000 --events 300

Builds the graph directly (not through ingestion and resolution, which other benches time):
N active profiles with 1-3 member records each and about 8 interactions per profile spread
over the 365 days before "now" (the kinds, channels and amounts of app/synth), written with
one UNWIND query in batches. Then times
  1. the first batch run (every value new: everything is written),
  2. the same run again (nothing changed: nothing is written), then
     a batch run an hour later (the usual case: only changed values are written),
     then a day later and a month later (more values change as windows move on),
  3. per-event: recordInteraction's path (store the interaction, recompute the touched
     profile, write its changes) for `events` random profiles, then -> alerts when
     app.alerts is there,
and prints the per-phase times and p50/p95/p99. Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress

from app.metrics import registry
from app.metrics.compute import run
from app.metrics.events import interaction_row, record_interaction
from app.settings import Settings
from app.store import GraphStore, open_store

console = Console()
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
SOURCES = ("crm", "webshop", "loyalty", "callcenter")
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float]] = {
    # source: (types, channels, mean amount or 0)
    "crm": (("email_open", "email_click", "data_usage"), ("email", "mobile"), 400.0),
    "webshop": (("purchase", "web_click", "email_open"), ("web", "app"), 35.0),
    "loyalty": (("pos",), ("store",), 18.0),
    "callcenter": (("call", "complaint"), ("phone", "email"), 0.0),
}


def population(n: int, per_profile: float, seed: int) -> list[dict[str, Any]]:
    """Rows for cypher/metrics_bench_population.cypher."""
    rng = np.random.default_rng(seed)
    start = int((NOW - timedelta(days=365)).timestamp())
    rows = []
    for i in range(n):
        k = int(rng.integers(1, 4))
        sources = rng.choice(len(SOURCES), size=k, replace=False)
        events_per = rng.poisson(per_profile / k, size=k)
        customers = []
        for s, m in zip(sources, events_per, strict=True):
            src = SOURCES[int(s)]
            types, channels, amount = KINDS[src]
            ts = np.sort(rng.integers(start, int(NOW.timestamp()), size=m))
            events = []
            for j, t in enumerate(ts):
                kind = types[int(rng.integers(len(types)))]
                moment = datetime.fromtimestamp(int(t), UTC)
                value = round(float(rng.lognormal(np.log(amount), 0.7)), 2) if amount else None
                events.append(
                    {
                        "id": f"{src}:B{i}-{j}",
                        "type": kind,
                        "channel": channels[int(rng.integers(len(channels)))],
                        "occurredAt": moment.strftime("%Y-%m-%dT%H:%M:%S"),
                        "ts": int(t) * 1000,
                        "value": value,
                    }
                )
            customers.append(
                {
                    "customerId": f"{src}:K{i}",
                    "source": src,
                    "key": f"K{i}",
                    "email": f"p{i}@example.com",
                    "city": ("Leeds", "York", "Hull")[i % 3],
                    "updatedAt": "2026-01-01T00:00:00",
                    "events": events,
                }
            )
        rows.append({"profileId": f"PR-B{i:08d}", "customers": customers})
    return rows


def build(store: GraphStore, n: int, per_profile: float, seed: int, batch: int) -> float:
    started = time.perf_counter()
    with Progress(console=console) as bar:
        task = bar.add_task("building the graph", total=n)
        for lo in range(0, n, batch):
            rows = population(min(batch, n - lo), per_profile, seed + lo)
            for r in rows:  # distinct keys across batches
                r["profileId"] = f"{r['profileId']}-{lo}"
                for c in r["customers"]:
                    c["customerId"] = f"{c['customerId']}-{lo}"
                    for e in c["events"]:
                        e["id"] = f"{e['id']}-{lo}"
            store.write("metrics_bench_population", rows=rows)
            bar.advance(task, len(rows))
    return time.perf_counter() - started


def percentiles(ms: list[float]) -> str:
    a = np.array(ms)
    return (
        f"p50 {np.percentile(a, 50):.1f} ms, p95 {np.percentile(a, 95):.1f} ms, "
        f"p99 {np.percentile(a, 99):.1f} ms, max {a.max():.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--interactions", type=float, default=8.0, help="mean per profile")
    ap.add_argument("--events", type=int, default=300, help="per-event samples")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the data folder")
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data folder to use and keep; a graph already built there is reused",
    )
    args = ap.parse_args()

    tmp = args.data or Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    settings = Settings(data_dir=tmp, graph_name="bench_metrics")
    store = open_store(settings)
    try:
        store.setup_schema()
        counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
        if counts.get("Profile"):
            console.print(f"reusing the graph in {tmp}: {counts}")
            store.write("metrics_bench_reset")
        else:
            built = build(store, args.profiles, args.interactions, args.seed, 2000)
            counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
            console.print(f"graph built in {built:.1f}s: {counts}")
        defs = registry.running(settings)

        first = run(store, settings, defs, NOW)
        console.print(
            f"batch 1 (all new): {first.profiles:,} profiles x {first.metrics} metrics in "
            f"{first.seconds:.1f}s {first.timings}; {first.changed_values:,} changes"
        )
        same = run(store, settings, defs, NOW)
        console.print(
            f"batch 1 again (same data, same now): {same.seconds:.1f}s {same.timings}; "
            f"{same.changed_values:,} changes on {same.profiles_written:,} profiles; "
            f"{same.seconds / first.seconds:.3f}x batch 1"
        )
        later = NOW + timedelta(hours=1)
        second = run(store, settings, defs, later)
        console.print(
            f"batch 2 (+1 h): {second.seconds:.1f}s {second.timings}; "
            f"{second.changed_values:,} changes on {second.profiles_written:,} profiles"
        )
        for label, offset in (
            ("batch 3 (+1 day)", timedelta(days=1)),
            ("batch 4 (+30 days)", timedelta(days=31)),
        ):
            again = run(store, settings, defs, later + offset)
            console.print(
                f"{label}: {again.seconds:.1f}s {again.timings}; "
                f"{again.changed_values:,} changes on {again.profiles_written:,} profiles"
            )
        later += timedelta(days=31)

        try:
            from app.alerts import evaluate_changes
        except ImportError:
            evaluate_changes = None  # type: ignore[assignment]
        rng = np.random.default_rng(args.seed)
        metric_ms: list[float] = []
        alert_ms: list[float] = []
        srcs = [("webshop", "purchase", "web"), ("loyalty", "pos", "store")]
        ids = store.read("metrics_profiles_active")
        for k in range(args.events):
            pid = str(ids[int(rng.integers(len(ids)))]["profileId"])
            members = store.read_one("profile_lookup", profileId=pid)
            assert members is not None
            customer = str(members["members"][0]["customerId"])
            source, key = customer.split(":", 1)
            _, kind, channel = srcs[k % 2]
            at = later + timedelta(minutes=k)
            row = interaction_row(
                source,
                key,
                kind,
                at.strftime("%Y-%m-%dT%H:%M:%S"),
                channel,
                round(float(rng.lognormal(3.4, 0.8)), 2),
                f"EV{k}",
            )
            t0 = time.perf_counter()
            result = record_interaction(store, settings, row, at)
            t1 = time.perf_counter()
            if evaluate_changes is not None:
                evaluate_changes(store, settings, result.changes)
            t2 = time.perf_counter()
            metric_ms.append((t1 - t0) * 1000)
            alert_ms.append((t2 - t0) * 1000)
        console.print(f"event -> metric ({args.events} events): {percentiles(metric_ms)}")
        if evaluate_changes is not None:
            console.print(f"event -> metric -> alert: {percentiles(alert_ms)}")
        else:
            console.print("app.alerts is not installed: no alert latency measured")
    finally:
        store.close()
        if not args.keep and args.data is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
