"""End to end on a fresh embedded store, as a user runs it: time and peak memory per stage.

    .venv/bin/python -m bench.e2e --people 37000          # ~100k customer records
    .venv/bin/python -m bench.e2e --people 370000         # ~1M (issue 18's target size)
    .venv/bin/python -m bench.e2e --people 37000 --attached   # the store's server kept running

Generates the synthetic population (`idgraph synth`, cached under --out), then runs each
stage as its own `idgraph` command on a new data folder, as the README's users do:
load-dir (customers and interactions), train (no labels), resolve, households, metrics.
Then the same commands again on the same files (nothing changed: issue 18 wants a re-run
to take at most 10% of the first; train is left out there, since a new model rightly
rewrites every edge). Each stage is a process of its own, so its peak RSS
(`os.wait4`) is its own; the embedded server is sampled every 0.2 s for its peak RSS. A
command attaches to the server the command before it left running (`IDGRAPH_STORE_LINGER_S`,
default 60 s; docs/architecture.md, "The server between commands"), as a user's next
command does within that minute; `IDGRAPH_STORE_LINGER_S=0` gives a server per command,
each loading the folder's files. Splink runs on the same records in the same run for the
resolution step (bench/splink_baseline.py), and both are scored against the generator's truth. With
--attached, a process holds the store open throughout, so the commands attach to its
server (as while `idgraph serve` runs) instead of each loading the folder's files and
writing them back on exit.
Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from app.resolution.records import load_records
from app.resolution.truth import read_truth
from app.settings import Settings
from app.store import open_store
from bench.ingest import server_memory
from bench.resolve import SPLINK_THRESHOLDS, scores
from bench.splink_baseline import run_splink

console = Console()
IDGRAPH = str(Path(sys.executable).parent / "idgraph")  # the command the project installs

FIRST = [
    ("ingest", ["load-dir", "{synth}", "--no-progress"]),
    ("train", ["train"]),
    ("resolve", ["resolve"]),
    ("households", ["households"]),
    ("metrics", ["metrics", "--now", "latest", "--no-progress"]),
]
AGAIN = [stage for stage in FIRST if stage[0] != "train"]


def run_stage(args: list[str], data: Path, log: Path) -> dict[str, Any]:
    """One `idgraph` command: wall seconds, its own peak RSS and the store's peak memory
    (the proportional set size of its processes), in MB."""
    env = {**os.environ, "IDGRAPH_DATA_DIR": str(data)}
    peak_store = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_store
        while not done.wait(0.2):
            peak_store = max(peak_store, server_memory(data))

    watcher = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ idgraph {' '.join(args)}\n")
        out.flush()
        proc = subprocess.Popen([IDGRAPH, *args], env=env, stdout=out, stderr=out)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"idgraph {' '.join(args)} failed ({proc.returncode}): see {log}")
    return {
        "seconds": round(seconds, 1),
        "client_mb": round(usage.ru_maxrss / 1024),
        "store_mb": round(peak_store / 2**20),
    }


# A process that opens the store and keeps it open until its stdin closes: the commands
# then attach to its server instead of each starting one on the folder's files, as they do
# while `idgraph serve` runs.
HOLD = """
import sys
from app.settings import Settings
from app.store import open_store
store = open_store(Settings())
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


@contextlib.contextmanager
def held_store(data: Path, attached: bool) -> Iterator[None]:
    if not attached:
        yield
        return
    env = {**os.environ, "IDGRAPH_DATA_DIR": str(data)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=600)


def synth_folder(people: int, seed: int, root: Path) -> Path:
    folder = root / f"synth-{people}-{seed}"
    if not (folder / "truth_records.csv").exists():
        subprocess.run(
            [IDGRAPH, "synth", "--out", str(folder), "--people", str(people), "--seed", str(seed)],
            check=True,
        )
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--people", type=int, default=37_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument(
        "--attached",
        action="store_true",
        help="keep the store's server running between the commands (as `idgraph serve` does)",
    )
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    synth = synth_folder(a.people, a.seed, a.out)
    work = Path(tempfile.mkdtemp(prefix="idgraph-e2e-", dir=a.out))
    data = work / "data"
    log = a.out / f"e2e-{a.people}-{a.seed}.log"  # the commands' output, kept
    log.unlink(missing_ok=True)
    result: dict[str, Any] = {
        "people": a.people,
        "seed": a.seed,
        "attached": a.attached,
        "first": {},
        "again": {},
    }
    try:
        with held_store(data, a.attached):
            for run, stages in (("first", FIRST), ("again", AGAIN)):
                for name, args in stages:
                    argv = [x.format(synth=synth) for x in args]
                    result[run][name] = run_stage(argv, data, log)
                    console.print(f"{run} {name}: {result[run][name]}")
        truth = read_truth(synth / "truth_records.csv")
        settings = Settings(data_dir=data)
        with open_store(settings) as store:
            rows = store.read("profile_memberships")
            records = load_records(store, settings.read_page)
        result["records"] = len(records)
        ours = pd.Series({r["customerId"]: r["profileId"] for r in rows})
        result["ours"] = scores(ours, truth)
        if not a.no_splink:
            s = run_splink(
                records, truth, threshold=SPLINK_THRESHOLDS[0], also=SPLINK_THRESHOLDS[1:]
            )
            by = {str(t): scores(c, truth) for t, c in s.by_threshold.items()}
            best = max(by, key=lambda t: by[t]["f1"])  # Splink's best threshold, as bench.resolve
            result["splink"] = {"seconds": round(s.seconds, 2), "threshold": best, **by[best]}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(result)
    path = a.out / f"e2e-{a.people}-{a.seed}{'-attached' if a.attached else ''}.json"
    path.write_text(json.dumps(result, indent=2))
    console.print(f"written to {path}")


def report(result: dict[str, Any]) -> None:
    first, again = result["first"], result["again"]
    table = Table(
        "stage", "first s", "client MB", "store MB", "re-run s", "re-run / first", title=None
    )
    for name, f in first.items():
        g = again.get(name)
        table.add_row(
            name,
            f"{f['seconds']:.1f}",
            str(f["client_mb"]),
            str(f["store_mb"]),
            f"{g['seconds']:.1f}" if g else "-",
            f"{g['seconds'] / f['seconds']:.2f}" if g else "-",
        )
    total = sum(f["seconds"] for f in first.values())
    rerun = sum(g["seconds"] for g in again.values())
    table.add_row("total", f"{total:.1f}", "", "", f"{rerun:.1f}", f"{rerun / total:.2f}")
    console.print(table)
    o = result["ours"]
    line = f"{result['records']:,} records: ours P/R/F1 {o['precision']}/{o['recall']}/{o['f1']}"
    if "splink" in result:
        s = result["splink"]
        line += (
            f"; Splink {s['precision']}/{s['recall']}/{s['f1']} in {s['seconds']} s "
            f"(our train + resolve {first['train']['seconds'] + first['resolve']['seconds']:.1f} s)"
        )
    console.print(line)


if __name__ == "__main__":
    main()
