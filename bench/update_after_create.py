"""FalkorDB: what a node update costs right after a node was created, against the same update
with no creation before it, on a graph built by writes and on the same graph after the server
restarted on a snapshot of it.

    .venv/bin/python -m bench.update_after_create --nodes 20000 100000

Found while chasing real-time writes that were 2-3x slower on a server that had just loaded
and resolved 100k records than on one restarted on the same data (docs/performance.md,
"Real-time resolution"). Each size gets a fresh embedded store: `--nodes` Customer nodes
created in batches of 10,000, then per query (300 each, means in ms):

- `set`: SET a property of an existing node (nothing created in between);
- `create`: CREATE one node, nothing else;
- `create then set`: CREATE one node in one query, then the `set` query;
- `create edge then set`: CREATE one relationship between existing nodes, then `set`;

the same after the server reloads the graph in place from a snapshot (`settle`, DEBUG
RELOAD: what a bulk writer's close does beside a serving store), again after a restart on a
snapshot (the append-only file rewritten first: replaying the logged write queries builds
the graph by writes again), and the ratio of `create then set` (its `set` part) to `set`
alone, each measured in the same run on the same graph.
Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console

from app.settings import Settings
from app.store import GraphStore, open_store

console = Console()
BATCH = 10_000
SAMPLES = 300


def build(store: GraphStore, nodes: int) -> None:
    for lo in range(0, nodes, BATCH):
        store.run_text(
            "UNWIND range($lo, $hi) AS i CREATE (c:Customer {customerId: 'c' + toString(i)}) "
            "SET c.firstName = 'f' + toString(i)",
            {"lo": lo, "hi": min(lo + BATCH, nodes) - 1},
            write=True,
        )


def mean_ms(step: Callable[[int], None], timed: Callable[[int], None]) -> float:
    """Mean ms of `timed(i)`, each after an untimed `step(i)`."""
    out = []
    for i in range(SAMPLES):
        step(i)
        t = time.perf_counter()
        timed(i)
        out.append(time.perf_counter() - t)
    return round(float(np.mean(out)) * 1000, 3)


def measure(store: GraphStore, nodes: int, tag: str) -> dict[str, float]:
    def query(text: str, **params: object) -> None:
        store.run_text(text, params, write=True)

    def nothing(i: int) -> None:
        return None

    def set_one(i: int) -> None:
        query("MATCH (c:Customer {customerId: $id}) SET c.seen = $i", id=f"c{i * 7 % nodes}", i=i)

    def create(i: int) -> None:
        query("CREATE (:Scratch {key: $key})", key=f"{tag}-{i}")

    def create_edge(i: int) -> None:
        query(
            "MATCH (a:Customer {customerId: $a}), (b:Customer {customerId: $b}) "
            "CREATE (a)-[:SCRATCH]->(b)",
            a=f"c{i}",
            b=f"c{i + 1}",
        )

    return {
        "set": mean_ms(nothing, set_one),
        "create": mean_ms(nothing, create),
        "create then set": mean_ms(create, set_one),
        "create edge then set": mean_ms(create_edge, set_one),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--nodes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for nodes in args.nodes:
        work = Path(tempfile.mkdtemp(prefix="idgraph-update-after-create-", dir=args.out))
        try:
            settings = Settings(data_dir=work / "data")
            store = open_store(settings)
            store.setup_schema()
            build(store, nodes)
            built = measure(store, nodes, "built")
            reload_s = store.settle()
            settled = measure(store, nodes, "settled")
            # A restart replays the append-only file, which may still hold the write queries
            # themselves (graph built by writes again); rewritten first, it loads a snapshot.
            store.compact()
            store.close()
            store = open_store(settings)
            restarted = measure(store, nodes, "restarted")
            store.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        row = {
            "nodes": nodes,
            "built_by_writes": built,
            "reloaded_in_place": settled,
            "reload_s": reload_s,
            "restarted": restarted,
            "ratio_built": round(built["create then set"] / built["set"], 2),
            "ratio_reloaded": round(settled["create then set"] / settled["set"], 2),
            "ratio_restarted": round(restarted["create then set"] / restarted["set"], 2),
        }
        console.print_json(json.dumps(row))
        results.append(row)
    (args.out / "update-after-create.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
