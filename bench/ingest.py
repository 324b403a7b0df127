"""Ingestion benchmark: synthetic records with identifiers and interactions into the embedded store.

    .venv/bin/python bench/ingest.py --records 100000

Prints source rows/s, nodes/s and relationships/s end to end (read, validate, normalise,
upsert), and, as a baseline run in the same command, the same pipeline writing one row per
query on a sample, so the ratio shows what batching buys. Also the time to validate and
normalise the rows alone, without the store (`--prepare-only` measures just that: steadier
than the end-to-end rate on a shared machine). Results go to docs/performance.md.
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
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import builtin_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import prepare_customers, prepare_interactions
from app.settings import Settings
from app.store import open_store
from app.store.base import BulkNodes, Key, Schema
from app.synth import SynthConfig, generate

RECORDS_PER_PERSON = 2.71  # measured on the generator's default mix of sources
console = Console()


def synth_dir(records: int, seed: int, root: Path) -> Path:
    people = math.ceil(records / RECORDS_PER_PERSON)
    out = root / f"synth-{people}-{seed}"
    if not (out / "truth_records.csv").exists():
        console.print(f"generating {people:,} people (~{records:,} records) into {out}")
        generate(SynthConfig(people=people, seed=seed), out, "csv", progress=True)
    return out


def baseline(data: Path, work: Path, sample: int) -> float:
    """Rows/s of the same pipeline sending one row per query, on the first `sample` rows."""
    sample_dir = work / "sample"
    sample_dir.mkdir(parents=True)
    for f in ("crm_customers.csv", "crm_interactions.csv"):
        with (data / f).open() as src, (sample_dir / f).open("w") as dst:
            for i, line in enumerate(src):
                if i > sample:
                    break
                dst.write(line)
    settings = Settings(data_dir=work / "baseline", batch_size=1)
    with open_store(settings) as store:
        store.setup_schema()
        started, rows = time.perf_counter(), 0
        for kind in ("customers", "interactions"):
            s = ingest_file(
                store, sample_dir / f"crm_{kind}.csv", "crm", settings, show_progress=False
            )
            rows += s.rows_read
        return rows / (time.perf_counter() - started)


SOURCES = ("crm", "webshop", "loyalty", "callcenter")
CEILING_KEYS = (
    Key("BenchPerson", "personId"),
    Key("BenchEvent", "eventId"),
    Key("BenchDevice", "deviceId"),
)


def ceilings(work: Path, rows: int, batch_size: int) -> dict[str, int]:
    """The store alone, in the same run: rows/s of a bare CREATE of one node with an event's
    properties, and of MERGE-based upserts of an event's shape (3 nodes, 2 relationships),
    through the same client and batch size as the load, into a graph of its own."""
    people = max(1, rows // 3)

    def props(i: int) -> dict[str, object]:
        return {
            "source": "crm",
            "type": "purchase",
            "channel": "web",
            "occurredAt": "2024-01-01T10:00:00",
            "ts": 1_704_103_200 + i,
            "value": float(i % 100),
        }

    events: list[dict[str, Any]] = [{"eventId": f"e{i}", "props": props(i)} for i in range(rows)]
    shaped = [
        {**e, "personId": f"p{i % people}", "deviceId": f"d{i % (people // 2 + 1)}"}
        for i, e in enumerate(events)
    ]
    out: dict[str, int] = {}
    with open_store(Settings(data_dir=work / "ceiling", batch_size=batch_size)) as store:
        store.setup_schema(Schema(unique=CEILING_KEYS, indexes=()))
        for name, data in (("create", events), ("merge", shaped)):
            store.clear()
            started = time.perf_counter()
            store.write_batches(f"ingest_bench_{name}", data, batch_size)
            out[f"store_ceiling_{name}_rows_per_s"] = round(rows / (time.perf_counter() - started))
        if store.has_bulk_path:
            store.clear()
            nodes = [{"eventId": e["eventId"], **e["props"]} for e in events]
            started = time.perf_counter()
            store.bulk_load([BulkNodes("BenchEvent", "eventId", nodes)], [])
            out["store_ceiling_bulk_rows_per_s"] = round(rows / (time.perf_counter() - started))
    return out


def prepare_cost(data: Path, chunk_rows: int = 10_000) -> dict[str, float]:
    """Microseconds per row to validate and normalise each kind, files read beforehand and
    no store involved (the loader's own CPU cost, which the writer thread overlaps)."""
    out: dict[str, float] = {}
    for kind in ("customers", "interactions"):
        seconds, rows = 0.0, 0
        for source in SOURCES:
            path = data / f"{source}_{kind}.csv"
            mapping = builtin_mapping(source, kind)
            chunks = list(read_chunks(path, "csv", chunk_rows))
            seen: dict[str, int] = {}
            started = time.perf_counter()
            for chunk in chunks:
                if kind == "customers":
                    prepare_customers(
                        chunk, mapping, file=path.name, max_len=512, country="GB", seen=seen
                    )
                else:
                    prepare_interactions(chunk, mapping, file=path.name, max_len=512, seen=seen)
            seconds += time.perf_counter() - started
            rows += sum(len(c.rows) for c in chunks)
        out[f"prepare_us_per_{kind[:-1]}_row"] = round(seconds / rows * 1e6, 1)
    return out


TARGETS = {"incremental": 20_000, "bulk": 100_000}


def measure(
    mode: str, data: Path, work: Path, batch_size: int, ceiling: dict[str, int]
) -> dict[str, Any]:
    """One load of the folder (reload: a second load into the incremental run's store)."""
    folder = work / ("db" if mode in ("incremental", "reload") else mode)
    settings = Settings(data_dir=folder, batch_size=batch_size)
    with open_store(settings) as store:
        if mode != "reload":
            store.setup_schema()
        started = time.perf_counter()
        summaries = load_directory(store, data, settings, show_progress=True, bulk=(mode == "bulk"))
        seconds = time.perf_counter() - started
        counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
        store_memory = server_memory(folder)
    rows = sum(s.rows_read for s in summaries)
    customers = sum(s.rows_read for s in summaries if s.kind == "customers")
    nodes = sum(s.nodes_created for s in summaries)
    rels = sum(s.relationships_created for s in summaries)
    rate = rows / seconds
    out: dict[str, Any] = {
        "records": customers,
        "interactions": rows - customers,
        "source_rows": rows,
        f"{mode}_seconds": round(seconds, 2),
        f"{mode}_rows_per_s": round(rate),
        f"{mode}_ratio_to_store_create": round(
            rate / ceiling["store_ceiling_create_rows_per_s"], 2
        ),
        f"{mode}_ratio_to_store_merge": round(rate / ceiling["store_ceiling_merge_rows_per_s"], 2),
        f"{mode}_nodes_created": nodes,
        f"{mode}_relationships_created": rels,
        f"{mode}_graph_nodes": sum(counts.values()),
        "quarantined": sum(s.rows_quarantined for s in summaries),
        "fields_blanked": sum(s.fields_blanked for s in summaries),
        f"{mode}_peak_rss_loader_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        f"{mode}_store_mb": store_memory // 2**20,
        f"{mode}_per_file": [
            {"file": Path(s.file).name, "rows": s.rows_read, "rows_per_s": round(s.rows_per_second)}
            for s in summaries
        ],
    }
    if mode == "bulk":
        out["bulk_ratio_to_store_bulk"] = round(rate / ceiling["store_ceiling_bulk_rows_per_s"], 2)
    if mode in TARGETS:
        met = "met" if rate >= TARGETS[mode] else "missed"
        out[f"{mode}_target"] = f"{TARGETS[mode]:,} rows/s {met}"
    return out


def server_memory(folder: Path) -> int:
    """Memory of the embedded server working in `folder` (its working directory; the machine
    runs other engineers' servers too), as the sum of its processes' proportional set sizes:
    while the server rewrites its append-only file a forked copy of it runs too, and adding
    the two RSS figures counted every page they share twice (the end-to-end bench reported
    2.5-2.7 GB peaks that were mostly that)."""
    total = 0
    for p in psutil.process_iter(["name"]):
        if p.info["name"] != "redis-server":
            continue
        try:
            if Path(p.cwd()).resolve().is_relative_to(folder.resolve()):
                total += p.memory_full_info().pss
        except psutil.Error:
            continue
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch-size", type=int, default=5000)
    ap.add_argument("--baseline-rows", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--prepare-only", action="store_true", help="only the store-free measure")
    ap.add_argument(
        "--ceiling-rows", type=int, default=50_000, help="rows per store-ceiling measure"
    )
    ap.add_argument(
        "--modes",
        default="incremental,reload,bulk",
        help="incremental: queries into an empty graph; reload: the same files again on top "
        "(every row an upsert); bulk: the bulk first load into an empty graph",
    )
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    data = synth_dir(args.records, args.seed, args.out)
    prepared = prepare_cost(data)
    if args.prepare_only:
        console.print(prepared)
        return
    work = Path(tempfile.mkdtemp(prefix="idgraph-bench-", dir=args.out))
    try:
        base = baseline(data, work, args.baseline_rows)
        ceiling = ceilings(work, args.ceiling_rows, args.batch_size)
        result: dict[str, Any] = {}
        for mode in args.modes.split(","):
            result.update(measure(mode, data, work, args.batch_size, ceiling))
        result.update(prepared)
        result.update(ceiling)
        result["baseline_rows_per_s_one_row_per_query"] = round(base)
        if "incremental_rows_per_s" in result:
            result["speedup_vs_baseline"] = round(result["incremental_rows_per_s"] / base, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    table = Table("measure", "value", title=f"ingest {result['records']:,} records")
    for k, v in result.items():
        if not k.endswith("per_file"):
            table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    console.print(table)
    (args.out / f"ingest-{args.records}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
