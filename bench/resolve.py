"""Identity-resolution benchmark: our resolver against Splink (DuckDB) on the same records.

    .venv/bin/python -m bench.resolve --records 10000 100000 [--seeds 42]
    .venv/bin/python -m bench.resolve --records 27100 --seeds 1 2 3 4 5 --no-splink

For each size: synthetic people (customer files only) loaded into a fresh embedded store,
500 labelled pairs drawn from the truth by active learning, then `resolve` (block, score,
cluster, write edges and profiles) timed per stage; Splink run in the same process on the
same records at thresholds 0.5 and 0.99. Prints pairwise precision/recall/F1, B-cubed F1,
seconds, peak memory and our time / Splink time. With several seeds it also prints the
spread of our F1 across them. Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import candidate_pairs
from app.resolution.evaluate import bcubed, pairwise
from app.resolution.model import train
from app.resolution.records import load_records
from app.resolution.truth import active_labels_from_truth, read_truth
from app.settings import Settings
from app.store import open_store
from app.synth import SynthConfig, generate
from bench.splink_baseline import run_splink

RECORDS_PER_PERSON = 2.71
console = Console()


def store_rss_mb() -> float:
    procs = (p for p in psutil.process_iter(["name"]) if p.info["name"] == "redis-server")
    return sum(p.memory_info().rss for p in procs) / 2**20


def run_size(
    records: int, seed: int, root: Path, labels: int, splink: bool = True
) -> dict[str, Any]:
    people = math.ceil(records / RECORDS_PER_PERSON)
    synth = root / f"synth-{people}-{seed}"
    if not (synth / "truth_records.csv").exists():
        generate(SynthConfig(people=people, seed=seed), synth, "csv", progress=True)
    truth = read_truth(synth / "truth_records.csv")
    work = Path(tempfile.mkdtemp(prefix="idgraph-resolve-", dir=root))
    try:
        settings = Settings(data_dir=work / "data")
        with open_store(settings) as store:
            store.setup_schema()
            load_directory(store, synth, settings, show_progress=False, kinds=("customers",))
            started = time.perf_counter()
            recs = load_records(store)
            cand = candidate_pairs(recs)
            drawn = active_labels_from_truth(recs, cand, truth, labels, seed)
            model = train(drawn, seed)
            train_s = time.perf_counter() - started
            started = time.perf_counter()
            summary = resolve(store, settings, model)
            resolve_s = time.perf_counter() - started
            rows = store.read("profile_memberships")
            store_mb = store_rss_mb()
        import pandas as pd

        ours = pd.Series({r["customerId"]: r["profileId"] for r in rows})
        p, b = pairwise(ours, truth), bcubed(ours, truth)
        compute_s = sum(v for k, v in summary.seconds.items() if not k.startswith("write"))
        result: dict[str, Any] = {
            "records": summary.records,
            "candidate_pairs": summary.candidate_pairs,
            "labels": len(drawn),
            "ours": {
                "precision": round(p.precision, 4), "recall": round(p.recall, 4),
                "f1": round(p.f1, 4), "bcubed_f1": round(b.f1, 4),
                "train_s": round(train_s, 1), "resolve_s": round(resolve_s, 1),
                "compute_s": round(compute_s, 1), "stages_s": summary.seconds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "store_rss_mb": round(store_mb),
            },
        }  # fmt: skip
        if not splink:
            return result
        for threshold in (0.5, 0.99):
            s = run_splink(recs, truth, threshold=threshold)
            sp, sb = pairwise(s.clusters, truth), bcubed(s.clusters, truth)
            result[f"splink_{threshold}"] = {
                "precision": round(sp.precision, 4), "recall": round(sp.recall, 4),
                "f1": round(sp.f1, 4), "bcubed_f1": round(sb.f1, 4),
                "seconds": round(s.seconds, 1), "peak_rss_mb": round(s.peak_rss_mb),
            }  # fmt: skip
        best = max((result["splink_0.5"], result["splink_0.99"]), key=lambda r: r["f1"])
        result["time_ratio_compute_vs_splink"] = round(compute_s / best["seconds"], 2)
        result["time_ratio_with_graph_writes_vs_splink"] = round(resolve_s / best["seconds"], 2)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--seeds", "--seed", type=int, nargs="+", default=[42])
    ap.add_argument("--no-splink", action="store_true", help="ours only (e.g. for seed spread)")
    ap.add_argument("--labels", type=int, default=500)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.records:
        f1s: dict[int, float] = {}
        for seed in args.seeds:
            result = run_size(n, seed, args.out, args.labels, splink=not args.no_splink)
            f1s[seed] = result["ours"]["f1"]
            _report(n, seed, result)
            (args.out / f"resolve-{n}-{seed}.json").write_text(json.dumps(result, indent=2))
        if len(f1s) > 1:
            spread = max(f1s.values()) - min(f1s.values())
            console.print(
                f"{n:,} records, {len(f1s)} seeds: our F1 {min(f1s.values()):.4f} to "
                f"{max(f1s.values()):.4f} (spread {spread:.4f}); per seed {f1s}"
            )


def _report(n: int, seed: int, result: dict[str, Any]) -> None:
    title = f"{n:,} records, seed {seed}"
    table = Table("", "precision", "recall", "F1", "B3 F1", "seconds", title=title)
    o = result["ours"]
    seconds = f"{o['compute_s']} (with graph writes {o['resolve_s']})"
    table.add_row("identity-graph", str(o["precision"]), str(o["recall"]), str(o["f1"]),
                  str(o["bcubed_f1"]), seconds)  # fmt: skip
    for t in ("0.5", "0.99"):
        if (s := result.get(f"splink_{t}")) is not None:
            table.add_row(f"Splink @ {t}", str(s["precision"]), str(s["recall"]), str(s["f1"]),
                          str(s["bcubed_f1"]), str(s["seconds"]))  # fmt: skip
    console.print(table)
    console.print_json(json.dumps(result))


if __name__ == "__main__":
    main()
