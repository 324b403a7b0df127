"""The loader's memory in a first load of a folder: what `idgraph load-dir` runs (a new data
folder, the schema, `load_directory`), with this process's RSS sampled every 50 ms, and
each `bulk_load` call timed with the RSS it started at.

    .venv/bin/idgraph synth --people 369000 --out /tmp/bench/s1m
    .venv/bin/python -m bench.load_memory /tmp/bench/s1m --round-rows 1000000

Results go to docs/performance.md ("Events in rounds").
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.ingestion.batch import load_directory
from app.settings import Settings
from app.store import open_store
from app.store.base import BulkEdges, BulkNodes, WriteSummary
from app.store.falkordb_bulk import BulkPath


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class Peak:
    """The highest RSS this process reached, sampled in a thread."""

    def __init__(self) -> None:
        self.mb = rss_mb()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.mb = max(self.mb, rss_mb())
            time.sleep(0.05)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--round-rows", type=int, default=Settings().bulk_round_rows)
    args = ap.parse_args()
    peak = Peak()
    sent = BulkPath.bulk_load

    def timed(
        self: Any,
        nodes: Sequence[BulkNodes],
        edges: Sequence[BulkEdges],
        ids: dict[str, Any] | None = None,
    ) -> WriteSummary:
        started, at = time.perf_counter(), rss_mb()
        done = sent(self, nodes, edges, ids)
        sizes = ", ".join(f"{g.label} {len(g.rows):,}" for g in nodes)
        print(f"bulk_load {time.perf_counter() - started:.1f} s from RSS {at:,.0f} MB: {sizes}")
        return done

    BulkPath.bulk_load = timed  # type: ignore[method-assign]
    work = Path(tempfile.mkdtemp(prefix="load-memory-"))
    try:
        settings = Settings(data_dir=work / "data", bulk_round_rows=args.round_rows)
        with open_store(settings) as store:
            store.setup_schema()
            started = time.perf_counter()
            load_directory(store, args.folder, settings, show_progress=False)
            seconds = time.perf_counter() - started
        print(f"load {seconds:.1f} s, the loader's peak RSS {peak.mb:,.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":  # spawned workers import this module: only the parent runs
    main()
