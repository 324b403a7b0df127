"""Household resolution and Group DNA at scale: time and peak memory.

    .venv/bin/python -m bench.households --people 100000

Generates the synthetic population (app/synth), loads it through ingestion, and makes one
profile per true person (golden attributes by the resolver's survivorship rules, written
with its own queries) so this bench times the household stage alone, not entity
resolution (bench/resolve.py does that). Then, each in a fresh process so its peak RSS is
its own (the FalkorDB server is a separate process and not counted):
  1. `resolve_households` on every profile (first run: every household new),
  2. `compute_dna` for every household (first run: every value new),
  3. both again (the usual re-run: stable IDs, few changes),
  4. incremental: `rehouse` + `refresh_household` for `samples` random profiles,
and prints times, peak memory and the scores against the generator's truth.
Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from app.households.dna import all_household_ids, compute_dna, refresh_household
from app.households.evaluate import evaluate_households, household_truth
from app.households.resolve import rehouse, resolve_households
from app.ingestion.batch import load_directory
from app.resolution.profiles import golden
from app.resolution.records import load_records
from app.resolution.truth import read_truth
from app.settings import Settings
from app.store import GraphStore, open_store
from app.synth import SynthConfig, generate

console = Console()


def prepare(settings: Settings, people: int, seed: int, synth: Path) -> dict[str, Any]:
    """Synthetic files -> ingestion -> one profile per true person."""
    out: dict[str, Any] = {}
    t = time.perf_counter()
    if not (synth / "truth_records.csv").exists():
        generate(SynthConfig(people=people, seed=seed), synth, "csv", progress=True)
    with open_store(settings) as store:
        store.setup_schema()
        load_directory(store, synth, settings, show_progress=True)
        out["load_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        out["profiles"], out["records"] = one_profile_per_person(
            store, settings, synth / "truth_records.csv"
        )
        out["profiles_s"] = round(time.perf_counter() - t, 1)
    return out


def one_profile_per_person(store: GraphStore, settings: Settings, truth: Path) -> tuple[int, int]:
    """One profile per true person of the loaded records (golden attributes by the
    resolver's survivorship rules, written with its own queries); (profiles, records)."""
    records = load_records(store, settings.read_page)
    person = read_truth(truth).reindex(records.index)
    known = person.notna()
    records, person = records[known], person[known]
    codes, uniques = pd.factorize(person)
    labels = pd.Series(codes, index=records.index)
    gold = golden(records, labels, settings.source_trust)
    now = "2026-01-01T00:00:00Z"
    profile_rows, link_rows = [], []
    for code, members in labels.groupby(labels.to_numpy()).groups.items():
        g = gold.loc[int(code)]  # type: ignore[call-overload]
        props: dict[str, Any] = {c: (None if pd.isna(g[c]) else str(g[c])) for c in gold.columns}
        pid = f"PR-{uniques[int(code)]}"  # type: ignore[call-overload]
        props.update(size=len(members), sources=sorted({m.split(":")[0] for m in members}))
        profile_rows.append({"profileId": pid, "props": props, "at": now})
        link_rows += [{"customerId": m, "profileId": pid, "confidence": 1.0} for m in members]
    store.write_batches("upsert_profiles", profile_rows, settings.batch_size)
    store.write_batches("link_profiles", link_rows, settings.batch_size)
    return len(profile_rows), len(link_rows)


def peak_rss_mb() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux keeps ru_maxrss
    across exec, so a spawned child would report its (big) parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _measure(phase: str, settings: Settings, extra: dict[str, Any], queue: Any) -> None:
    """One phase in a fresh process: its result, seconds and peak RSS (MB) go on queue."""
    result: dict[str, Any] = {}
    with open_store(settings) as store:
        t = time.perf_counter()  # the work, not the store's start-up
        if phase == "households":
            s = resolve_households(store, settings)
            result = {
                "households": s.households,
                "multi_member": s.multi_member,
                "largest": s.largest,
                "kept_ids": s.kept_ids,
                "new_ids": s.new_ids,
                "hubs": s.hubs,
                "stages_s": s.seconds,
            }
        elif phase == "dna":
            ids = all_household_ids(store)
            changes = compute_dna(store, settings, ids)
            result = {"households": len(ids), "changes": len(changes)}
        elif phase == "incremental":
            rng = random.Random(extra["seed"])
            pids = [r["profileId"] for r in store.read("household_memberships")]
            lat_re, lat_dna = [], []
            for pid in rng.sample(pids, extra["samples"]):
                a = time.perf_counter()
                rehouse(store, settings, [pid])
                b = time.perf_counter()
                row = store.read_one("household_of_profiles", ids=[pid])
                if row:
                    refresh_household(store, settings, row["householdId"])
                c = time.perf_counter()
                lat_re.append((b - a) * 1000)
                lat_dna.append((c - b) * 1000)
            result = {
                "rehouse_ms": {
                    f"p{q}": round(float(np.percentile(lat_re, q)), 1) for q in (50, 95, 99)
                },
                "refresh_household_ms": {
                    f"p{q}": round(float(np.percentile(lat_dna, q)), 1) for q in (50, 95, 99)
                },
            }
        elif phase == "evaluate":
            sc = evaluate_households(store, household_truth(extra["truth"]))
            result = {
                "record_pairs": [
                    round(sc.records.precision, 4),
                    round(sc.records.recall, 4),
                    round(sc.records.f1, 4),
                ],
                "profile_pairs": [
                    round(sc.profiles.precision, 4),
                    round(sc.profiles.recall, 4),
                    round(sc.profiles.f1, 4),
                ],
                "decision_maker_accuracy": round(sc.decision_maker_accuracy, 4),
                "decision_maker_households": sc.decision_maker_households,
            }
        result["seconds"] = round(time.perf_counter() - t, 1)
    result["peak_rss_mb"] = peak_rss_mb()
    queue.put(result)


def measure(phase: str, settings: Settings, **extra: Any) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(phase, settings, extra, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    console.print(f"{phase}: {json.dumps(result)}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--data", type=Path, default=None, help="data dir (default: a temp dir)")
    parser.add_argument(
        "--skip-prepare",
        action="store_true",
        help="reuse the population already in --data (households are deleted first)",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-households-"))
    data = args.data or base / "data"
    synth = Path("bench/out") / f"synth-households-{args.people}-{args.seed}"
    settings = Settings(store="falkordb", data_dir=data, graph_name="bench")
    try:
        report: dict[str, Any] = {"people": args.people, "seed": args.seed}
        if args.skip_prepare:
            with open_store(settings) as store:
                store.run_text("MATCH (h:Household) DETACH DELETE h", write=True)
            report["prepare"] = {"reused": str(data)}
        else:
            report["prepare"] = prepare(settings, args.people, args.seed, synth)
        console.print(f"prepared: {json.dumps(report['prepare'])}")
        report["households_first"] = measure("households", settings)
        report["dna_first"] = measure("dna", settings)
        report["households_again"] = measure("households", settings)
        report["dna_again"] = measure("dna", settings)
        report["evaluate"] = measure("evaluate", settings, truth=synth / "truth_records.csv")
        report["incremental"] = measure(
            "incremental", settings, samples=args.samples, seed=args.seed
        )
        out = Path("bench/out") / f"households-{args.people}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        console.print(f"written {out}")
    finally:
        if args.data is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
