"""Identity-resolution benchmark: our pipeline against Splink (DuckDB) on the same records,
on our synthetic data and on person data we did not write (bench/outside.py).

    .venv/bin/python -m bench.resolve --sets pseudopeople febrl3 febrl4 --labels 0 500
    .venv/bin/python -m bench.resolve --records 10000 100000 --labels 500
    .venv/bin/python -m bench.resolve --records 27100 --seeds 1 2 3 --no-splink
    .venv/bin/python -m bench.resolve --sets pseudopeople --labels 500 --label-seeds 0 1 2 3

Each data set is run as a user would run it: its folder loaded into a fresh embedded
store with its mapping files (`idgraph load-dir`), the model trained (without labels, or
with N labelled pairs drawn from the truth by active learning), then `resolve`; each stage
timed. Splink runs in the same process on the same records (read back from the store, so
both see the same normalised values), configured for the fields the data has, without
labels or with N true pairs. Prints pairwise precision/recall/F1 (records the graph lacks
count as their own profiles), B-cubed F1, the blocking's pair recall and comparisons,
seconds, and our time / Splink's. Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import candidate_pairs, rule_name
from app.resolution.evaluate import bcubed, pairwise
from app.resolution.evaluation import with_missing
from app.resolution.fields import derive
from app.resolution.learning import learn
from app.resolution.linkonly import groups_of
from app.resolution.records import load_records
from app.resolution.truth import read_truth
from app.settings import Settings
from app.store import open_store
from app.synth import SynthConfig, generate
from bench.outside import LINK_ONLY, SETS, written_by_this
from bench.splink_baseline import run_splink

RECORDS_PER_PERSON = 2.71
console = Console()
SPLINK_THRESHOLDS = (0.5, 0.9, 0.99)


def true_pairs(truth: pd.Series) -> int:
    sizes = truth.value_counts().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def blocking_recall(
    records: pd.DataFrame, truth: pd.Series, model: Any, cap: int
) -> tuple[float, int]:
    """Share of true pairs (among records in the graph) that the model's blocking rules put
    in front of it, and how many candidate pairs they make."""
    cols = derive(records, model.common)
    groups = groups_of(records["source"], model.link_only, ())
    cand = candidate_pairs(cols, model.rules, cap, groups)
    person = truth.reindex(records.index).to_numpy()
    found = int((person[cand.left] == person[cand.right]).sum())
    inside = truth.reindex(records.index).dropna()
    total = true_pairs(inside)
    if model.link_only:  # only pairs across the linked sources are true pairs to find
        src = records["source"].reindex(inside.index)
        total = sum(_cross(g) for _, g in src.groupby(inside.to_numpy()))
    return (found / total if total else 1.0), len(cand)


def _cross(sources: pd.Series) -> int:
    counts = sources.value_counts().to_numpy(dtype=np.int64)
    return int((counts.sum() ** 2 - (counts**2).sum()) // 2)


def scores(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    full = with_missing(predicted, truth)
    p, b = pairwise(full, truth), bcubed(full, truth)
    return {
        "precision": round(p.precision, 4),
        "recall": round(p.recall, 4),
        "f1": round(p.f1, 4),
        "bcubed_f1": round(b.f1, 4),
    }


def run_set(
    folder: Path,
    truth_file: Path,
    labels: int,
    seed: int,
    root: Path,
    splink: bool,
    link_only: list[str] | None,
) -> dict[str, Any]:
    truth = read_truth(truth_file)
    work = Path(tempfile.mkdtemp(prefix="idgraph-resolve-", dir=root))
    try:
        # A folder of its own, deleted after the set: nothing to keep the server for, and its
        # watcher's start would take CPU from the timed load (docs/architecture.md).
        settings = Settings(data_dir=work / "data", store_linger_s=0)
        out: dict[str, Any] = {"set": folder.name, "labels": labels, "seed": seed}
        with open_store(settings) as store:
            store.setup_schema()
            t0 = time.perf_counter()
            load_directory(store, folder, settings, show_progress=False, kinds=("customers",))
            t1 = time.perf_counter()
            learned = learn(
                store,
                settings,
                truth_file=truth_file if labels else None,
                pairs=labels or None,
                seed=seed,
                link_only=link_only or [],
            )
            t2 = time.perf_counter()
            summary = resolve(store, settings, learned.model)
            t3 = time.perf_counter()
            rows = store.read("profile_memberships")
            records = load_records(store, settings.read_page)
        ours = pd.Series({r["customerId"]: r["profileId"] for r in rows})
        recall, comparisons = blocking_recall(records, truth, learned.model, settings.block_cap)
        out["records"] = summary.records
        out["ours"] = {
            **scores(ours, truth),
            "ingest_s": round(t1 - t0, 2),
            "train_s": round(t2 - t1, 2),
            "resolve_s": round(t3 - t2, 2),
            "total_s": round(t3 - t0, 2),
            "stages_s": summary.seconds,
            "blocking_recall": round(recall, 4),
            "comparisons": comparisons,
            "rules": len(learned.model.rules),
            "rules_chosen": [rule_name(r) for r in learned.model.rules],
            "mode": learned.model.mode,
            "labels": learned.report.labels,
        }
        if splink:
            s = run_splink(
                records,
                truth,
                threshold=SPLINK_THRESHOLDS[0],
                labels=labels,
                link_only=link_only,
                also=SPLINK_THRESHOLDS[1:],
            )
            by = {str(t): scores(c, truth) for t, c in s.by_threshold.items()}
            best = max(by, key=lambda t: by[t]["f1"])
            out["splink"] = {
                "seconds": round(s.seconds, 2),
                "comparisons": s.pairs_scored,
                "best_threshold": best,
                **by[best],
                "by_threshold": by,
            }
            out["time_ratio"] = round(out["ours"]["total_s"] / s.seconds, 2)
            out["f1_gap"] = round(out["ours"]["f1"] - by[best]["f1"], 4)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def synth_folder(records: int, seed: int, root: Path) -> tuple[Path, Path]:
    people = math.ceil(records / RECORDS_PER_PERSON)
    folder = root / f"synth-{people}-{seed}"
    if not (folder / "truth_records.csv").exists():
        generate(SynthConfig(people=people, seed=seed), folder, "csv", progress=True)
    return folder, folder / "truth_records.csv"


def outside_folder(name: str, root: Path) -> tuple[Path, Path]:
    """The set's folder under `root`/outside, written (again) unless this version of
    bench/outside.py wrote it."""
    folder = root / "outside" / name
    if not written_by_this(folder):
        SETS[name](root / "outside")
    return folder, folder / "truth_records.csv"


def report(result: dict[str, Any]) -> None:
    title = f"{result['set']} ({result['records']:,} records), {result['labels']} labels"
    table = Table("", "precision", "recall", "F1", "B3 F1", "seconds", "pairs", title=title)
    o = result["ours"]
    table.add_row(
        "identity-graph",
        str(o["precision"]),
        str(o["recall"]),
        str(o["f1"]),
        str(o["bcubed_f1"]),
        f"{o['total_s']} (ingest {o['ingest_s']}, train {o['train_s']}, resolve {o['resolve_s']})",
        f"{o['comparisons']:,} (blocking recall {o['blocking_recall']})",
    )
    if (s := result.get("splink")) is not None:
        table.add_row(
            f"Splink @ {s['best_threshold']}",
            str(s["precision"]),
            str(s["recall"]),
            str(s["f1"]),
            str(s["bcubed_f1"]),
            str(s["seconds"]),
            f"{s['comparisons']:,}",
        )
    console.print(table)
    if "time_ratio" in result:
        console.print(
            f"  F1 ours - Splink: {result['f1_gap']:+.4f}; time ours / Splink: "
            f"{result['time_ratio']}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sets", nargs="*", default=[], choices=sorted(SETS))
    ap.add_argument("--records", type=int, nargs="*", default=[], help="synthetic data sizes")
    ap.add_argument("--seeds", "--seed", type=int, nargs="+", default=[42])
    ap.add_argument("--labels", type=int, nargs="+", default=[0, 500])
    ap.add_argument(
        "--label-seeds",
        type=int,
        nargs="+",
        default=[0],
        help="outside sets: the seeds the labels are drawn under (several show the spread)",
    )
    ap.add_argument("--no-splink", action="store_true", help="ours only (e.g. for seed spread)")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, Path, Path, list[str] | None, int]] = []
    for name in args.sets:
        folder, truth = outside_folder(name, args.out)
        runs += [(name, folder, truth, LINK_ONLY.get(name), seed) for seed in args.label_seeds]
    for n in args.records:
        for seed in args.seeds:
            folder, truth = synth_folder(n, seed, args.out)
            runs.append((f"synth-{n}", folder, truth, None, seed))
    results = []
    for name, folder, truth, link, seed in runs:
        for labels in args.labels:
            result = run_set(folder, truth, labels, seed, args.out, not args.no_splink, link)
            report(result)
            results.append(result)
            (args.out / f"resolve-{name}-{labels}-{seed}.json").write_text(
                json.dumps(result, indent=2)
            )
    console.print_json(json.dumps([{k: v for k, v in r.items() if k != "splink"} for r in results]))


if __name__ == "__main__":
    main()
