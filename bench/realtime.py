"""Real-time resolution latency: one record at a time against a resolved population.

    .venv/bin/python bench/realtime.py --records 100000 --samples 500

Loads the synthetic customer files (~N records), trains from truth, resolves them all, then
upserts `samples` records one by one through app.resolution.realtime.upsert_record: half
re-registrations of known people (a known record under a new key, a nickname or typo
applied), half strangers. Prints p50/p95/p99 per record, graph writes included, and the
actions taken (joined, bridged, founded). Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import shutil
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from app.errors import InputError
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.realtime import upsert_record
from app.settings import Settings
from app.store import open_store
from app.synth import SynthConfig, generate

RECORDS_PER_PERSON = 2.71
console = Console()


def samples(crm: pd.DataFrame, n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = crm.dropna(subset=["crm_id", "first_name", "last_name"]).to_dict("records")
    out = []
    for i in range(n):
        if i % 2 == 0:
            r = rng.choice(rows)
            first = str(r["first_name"])
            if rng.random() < 0.3 and len(first) > 3:
                j = rng.randrange(1, len(first) - 1)
                first = first[:j] + first[j + 1] + first[j] + first[j + 2 :]  # transposition
            rec = {
                "sourceKey": f"RT-{i}",
                "firstName": first,
                "lastName": r["last_name"],
                "dateOfBirth": r["birth_date"],
                "email": r["email"],
                "phone": r["phone"],
                "street": r["street"],
                "city": r["city"],
                "postcode": r["postcode"],
            }
        else:
            word = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))
            dob = f"19{rng.randrange(30, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}"
            rec = {
                "sourceKey": f"RT-{i}",
                "firstName": word.title(),
                "lastName": word[::-1].title(),
                "dateOfBirth": dob,
                "email": f"{word}{i}@example.org",
            }
        out.append({k: (None if isinstance(v, float) else v) for k, v in rec.items()})
    return out


def timed(store: Any, method: str, into: dict[str, float]) -> None:
    """Wrap the store's read/write so each query's time is summed (instrumentation of the
    real store, for the per-query breakdown)."""
    inner = getattr(store, method)

    def wrapper(name: str, **params: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(name, **params)
        finally:
            into[f"{method} {name}"] += (time.perf_counter() - t) * 1000

    setattr(store, method, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument(
        "--restart-store",
        action="store_true",
        help="restart the embedded server between resolving and sampling",
    )
    ap.add_argument(
        "--beside",
        action="store_true",
        help="load, train and resolve through a second store attached to the sampling "
        "store's server, closed before sampling (a CLI stage beside `idgraph serve`), with "
        "IDGRAPH_FALKORDB_RELOAD_AFTER_NODES=10000",
    )
    args = ap.parse_args()
    people = math.ceil(args.records / RECORDS_PER_PERSON)
    synth = args.out / f"synth-{people}-{args.seed}"
    if not (synth / "truth_records.csv").exists():
        generate(SynthConfig(people=people, seed=args.seed), synth, "csv", progress=True)
    work = Path(tempfile.mkdtemp(prefix="idgraph-realtime-", dir=args.out))
    try:
        # Beside: the automatic reload after bulk work chosen (it is off unless chosen).
        reload_after = 10_000 if args.beside else 0
        settings = Settings(data_dir=work / "data", falkordb_reload_after_nodes=reload_after)
        store = open_store(settings)
        try:
            store.setup_schema()
            # Beside: a second store on the same server does the bulk work and closes, as
            # `idgraph resolve` does beside a serving process (its close reloads the graph
            # in the server when it wrote many nodes and someone serves: FalkorStore.settle).
            if args.beside:
                store.mark_serving()  # as `idgraph serve`'s app does when it starts
            bulk = open_store(settings) if args.beside else store
            load_directory(bulk, synth, settings, show_progress=False, kinds=("customers",))
            model = learn(bulk, settings, truth_file=synth / "truth_records.csv").model
            summary = resolve(bulk, settings, model)
            if bulk is not store:
                started = time.perf_counter()
                bulk.close()
                console.print(f"bulk store closed in {time.perf_counter() - started:.2f} s")
            console.print(f"resolved {summary.records:,} records into {summary.profiles:,}")
            crm = pd.read_csv(synth / "crm_customers.csv", dtype=str)
            # Measure in the state of a serving process, not of one that has just resolved
            # 100k records: drop resolution's data and keep what is left out of the cyclic
            # GC (its passes over millions of leftover objects doubled the latencies).
            gc.collect()
            gc.freeze()
            if args.restart_store:
                # A server that has just written the whole resolution answers small writes
                # slower than one started on the same data (measured: 9.8-15.4 against 6.3 ms
                # per write); this measures the second state.
                store.close()
                store = open_store(settings)
            latencies: list[float] = []
            refused = 0
            actions: Counter[str] = Counter()
            timings: dict[str, float] = defaultdict(float)
            for kind in ("read", "write"):
                timed(store, kind, timings)
            for rec in samples(crm, args.samples, args.seed):
                t = time.perf_counter()
                try:
                    placed = upsert_record(store, settings, model, "webshop", rec)
                except InputError:  # a messy source value (e.g. an e-mail without @)
                    refused += 1
                    continue
                latencies.append((time.perf_counter() - t) * 1000)
                actions[placed.action] += 1
        finally:
            store.close()
        ms = np.array(latencies)
        result = {
            "records_resolved": summary.records,
            "samples": len(ms),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1),
            "actions": dict(actions),
            "refused": refused,
            "store_ms_per_record": {
                k: round(v / len(ms), 2)
                for k, v in sorted(timings.items(), key=lambda kv: -kv[1])[:8]
            },
        }
        console.print_json(json.dumps(result))
        (args.out / f"realtime-{args.records}.json").write_text(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
