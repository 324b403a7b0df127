"""The read audit's cost as reads pile up: what every answer showing personal data writes.

    .venv/bin/python -m bench.audit_reads [--records 20000] [--rounds 5] [--per-round 10000]

On two copies of bench/api.py's population (built once into bench/out/api-<records>-<seed>/,
as bench/api.py builds it), in one process, round after round:

- `relationships`: reads audited as the app audits them (app/audit.py: a READ_PII
  relationship from the reader to what was read);
- `nodes`: the same reads written as AuditEvent nodes with CONCERNS edges (record_audit, how
  every other action is audited, and how reads were until 2026-12-06): the peer.

Each round times 300 audit writes of one customer and its profile and, after each, a `SET`
on that customer (what a real-time upsert writes), medians in ms, on both copies; then writes
`--per-round` more reads into each. At the end, the time to read the audit trail's newest
page on each copy. On FalkorDB every node a query creates makes later node writes slower
until the graph is reloaded (docs/architecture.md, "The read audit").
Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from app.audit import READ_PII, TrailFilter, record, trail
from app.store import GraphStore, open_store
from bench.api import build, fresh_copy, settings_for

console = Console()
SAMPLES = 300
PICK = """
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
RETURN c.customerId AS id, p.profileId AS pid ORDER BY id LIMIT 2000
"""
SET = "MATCH (c:Customer {customerId: $id}) SET c.benchProbe = $n"
AFTER = {"fields": ["email", "name"]}
NODE_READ = "benchReadAsNode"
TRAIL_PAGE = 20


def as_relationships(store: GraphStore, customer: str, profile: str) -> None:
    record(store, "key:bench", READ_PII, "", None, AFTER, [customer], [profile])


def as_nodes(store: GraphStore, customer: str, profile: str) -> None:
    # Any action but a read is written as an AuditEvent node with CONCERNS edges
    # (record_audit.cypher): the same event under an action name of its own.
    record(store, "key:bench", NODE_READ, "", None, AFTER, [customer], [profile])


def measure(
    store: GraphStore, audit: Callable[[GraphStore, str, str], None], picks: list[dict[str, str]]
) -> tuple[float, float]:
    """Median ms of the audit write, and of a SET on the customer right after it."""
    writes, sets = [], []
    for i in range(SAMPLES):
        p = picks[i % len(picks)]
        t0 = time.perf_counter()
        audit(store, p["id"], p["pid"])
        t1 = time.perf_counter()
        store.run_text(SET, {"id": p["id"], "n": i}, write=True)
        t2 = time.perf_counter()
        writes.append(t1 - t0)
        sets.append(t2 - t1)
    return statistics.median(writes) * 1000, statistics.median(sets) * 1000


def trail_ms(store: GraphStore) -> float:
    """Median ms of reading the audit trail's first page (GraphQL auditTrail's default)."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        trail(store, TrailFilter(), TRAIL_PAGE)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--per-round", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args()
    folder = args.out / f"api-{args.records}-{args.seed}"
    built = settings_for(folder / "data", args.records, args.seed)
    build(built)
    ways = {"relationships": as_relationships, "nodes": as_nodes}
    stores = {}
    for name in ways:
        fresh_copy(folder / "data", folder / f"audit-{name}")
        stores[name] = open_store(settings_for(folder / f"audit-{name}", args.records, args.seed))
    try:
        picks = [
            {"id": str(r["id"]), "pid": str(r["pid"])}
            for r in stores["nodes"].run_text(PICK, write=False)[0]
        ]
        table = Table(title=f"the read audit on {args.records:,} records (median ms)")
        table.add_column("reads", justify="right")
        for name in ways:
            table.add_column(f"{name} audit", justify="right")
            table.add_column("SET after", justify="right")
        table.add_column("nodes / rel.", justify="right")
        written = 0
        results = []
        for _ in range(args.rounds):
            row = {name: measure(stores[name], audit, picks) for name, audit in ways.items()}
            written += SAMPLES
            results.append({"reads": written, **row})
            ratio = row["nodes"][0] / row["relationships"][0]
            cells = [f"{v:.3f}" for name in ways for v in row[name]]
            table.add_row(f"{written:,}", *cells, f"{ratio:.2f}")
            for name, audit in ways.items():
                for k in range(args.per_round):
                    p = picks[k % len(picks)]
                    audit(stores[name], p["id"], p["pid"])
            written += args.per_round
        console.print(table)
        trails = {name: trail_ms(store) for name, store in stores.items()}
        console.print(
            f"the trail's newest {TRAIL_PAGE} of {written:,} reads (median of 5): "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in trails.items())
        )
        out = folder / "audit-reads.json"
        out.write_text(json.dumps({"rounds": results, "trail_ms": trails}, indent=2))
        console.print(f"written to {out}")
    finally:
        for store in stores.values():
            store.close()


if __name__ == "__main__":
    main()
