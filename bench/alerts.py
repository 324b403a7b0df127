"""Alert evaluation latency: metric change -> evaluate_changes -> Alert node (+ queued webhook).

    .venv/bin/python -m bench.alerts --profiles 100000 --samples 2000

Builds a population of profiles (segment, tenure) and households with decision-makers in a
fresh embedded store, 30 rules over 10 metrics (label, collection and single-entity scopes,
all four conditions, a two-period household rule) with a webhook configured, and earlier
alerts so the cooldown check has company. Then times evaluate_changes called with ONE change
at a time, as the real-time path calls it: changes that meet no rule, changes that fire a
label-scoped rule, a collection-scoped rule (property read + write), and a household rule
(decision-maker lookup). Prints p50/p95/p99 per kind and a batch of 10,000 changes in one
call. Target: p99 <= 50 ms for the alert step (docs/alerts.md; docs/performance.md).
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

from app.alerts import evaluate_changes
from app.metrics.changes import MetricChange
from app.settings import Settings
from app.store import GraphStore, open_store

console = Console()
METRICS = [f"m{i}" for i in range(9)] + ["spend_90d"]
AT = "2026-11-25T12:00:00Z"


def rules_yaml() -> str:
    lines = ["rules:"]
    conditions = ["above", "below", "crosses", "change_pct"]
    for i in range(24):
        metric, cond = METRICS[i % 9], conditions[i % 4]
        threshold = {"change_pct": 50, "below": 10 + i}.get(cond, 1000 + i)
        lines.append(
            f"  - {{name: r{i}, metric: {metric}, condition: {cond}, "
            f"threshold: {threshold}, cooldown: 0}}"
        )
    lines += [
        "  - {name: gold-spend, metric: spend_90d, condition: above, threshold: 500,"
        " cooldown: 0, scope: {where: {dna_segment: gold}}}",
        "  - {name: old-gold, metric: spend_90d, condition: above, threshold: 600, cooldown: 0,"
        " scope: {where: [{property: dna_tenure_days, op: ge, value: 365},"
        " {property: dna_segment, op: in, value: [gold, silver]}]}}",
        "  - {name: big, metric: spend_90d, condition: above, threshold: 5000, cooldown: 0}",
        "  - {name: one, metric: spend_90d, condition: above, threshold: 1, cooldown: 0,"
        " scope: {entity: PR-1}}",
        "  - {name: plan, metric: usage_ratio, label: Household, condition: above, threshold: 1,"
        " for: 2, cooldown: 0}",
        "  - {name: plan-drop, metric: usage_ratio, label: Household, condition: crosses,"
        " threshold: 0.5, direction: down, cooldown: 0}",
    ]
    return "\n".join(lines) + "\n"


def populate(store: GraphStore, profiles: int, households: int, seed: int) -> None:
    rng = random.Random(seed)
    segments = ["gold", "silver", "bronze"]
    rows = [
        {
            "profileId": f"PR-{i}",
            "props": {
                "dna_segment": rng.choice(segments),
                "dna_tenure_days": rng.randrange(0, 2000),
            },
        }
        for i in range(profiles)
    ]
    store.write_batches("alert_bench_population", rows, 5000)
    hh = [{"householdId": f"HH-{i}", "decisionMaker": f"PR-{i}"} for i in range(households)]
    store.write_batches("alert_bench_households", hh, 5000)


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="alerts-bench-"))
    rules = tmp / "rules.yaml"
    rules.write_text(rules_yaml())
    settings = Settings(
        data_dir=tmp / "data",
        graph_name="bench",
        alert_rules_file=rules,
        webhooks={"crm": "http://127.0.0.1:9/hook"},  # queued only; nothing posts here
    )
    store = open_store(settings)
    try:
        store.setup_schema()
        t = time.perf_counter()
        populate(store, args.profiles, args.households, args.seed)
        console.print(
            f"{args.profiles:,} profiles, {args.households:,} households in "
            f"{time.perf_counter() - t:.1f}s"
        )
        evaluate_changes(store, settings, [])  # nothing; rules load on the first real call

        def pid() -> str:
            return f"PR-{rng.randrange(args.profiles)}"

        def hid() -> str:
            return f"HH-{rng.randrange(args.households)}"

        kinds = {
            # watched metrics that meet no rule: spend below every threshold, m-metrics
            # between the below (10+) and above (1000+) lines, changing by 1 %
            "no rule met": lambda: MetricChange(
                "Profile", pid(), rng.choice(METRICS), 100.0, 101.0, AT
            ),
            "label scope fires": lambda: MetricChange(
                "Profile", pid(), "spend_90d", 100.0, 6000.0, AT
            ),
            "collection scope": lambda: MetricChange(
                "Profile", pid(), "spend_90d", 100.0, 700.0, AT
            ),
            "household, 2 periods": lambda: MetricChange(
                "Household", hid(), "usage_ratio", 1.2, 1.3, AT, (0.9, 1.2, 1.3)
            ),
        }
        # earlier alerts, so cooldown lookups and the alert index are not empty
        warm = [kinds["label scope fires"]() for _ in range(5000)]
        evaluate_changes(store, settings, warm)
        table = Table(
            "changes, one per call", "calls", "alerts", "p50 ms", "p95 ms", "p99 ms", "max ms"
        )
        for kind, make in kinds.items():
            times, fired = [], 0
            for _ in track(range(args.samples), description=kind, console=console):
                change = make()
                t = time.perf_counter()
                fired += len(evaluate_changes(store, settings, [change]))
                times.append((time.perf_counter() - t) * 1000)
            table.add_row(
                kind,
                f"{len(times):,}",
                f"{fired:,}",
                *(f"{percentile(times, p):.2f}" for p in (50, 95, 99)),
                f"{max(times):.1f}",
            )
        batch = [rng.choice(list(kinds.values()))() for _ in range(10_000)]
        t = time.perf_counter()
        fired_batch = evaluate_changes(store, settings, batch)
        seconds = time.perf_counter() - t
        console.print(table)
        console.print(
            f"batch: 10,000 mixed changes in one call: {seconds * 1000:.0f} ms, "
            f"{len(fired_batch):,} alerts ({10_000 / seconds:,.0f} changes/s); "
            f"{seconds * 1000 / 10_000:.3f} ms per change"
        )
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
