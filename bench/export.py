"""export-neo4j-import on the embedded store: N customers with an e-mail each (shared by four),
written with the loader's batched upsert, then exported as neo4j-admin CSVs. Prints both
times and their ratio (the export reads what the load wrote: the ratio is the figure that
travels between machines).

    .venv/bin/python bench/export.py --customers 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from app.export import export_neo4j_import
from app.store.falkordb import FalkorStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()
    n = args.customers
    with tempfile.TemporaryDirectory() as tmp:
        store = FalkorStore(Path(tmp) / "db" / "graph.rdb", "bench")
        try:
            store.setup_schema()
            started = time.perf_counter()
            store.write_batches(
                "upsert_customers",
                (
                    {
                        "customerId": f"crm:{i:08d}",
                        "props": {"source": "crm", "n": i, "firstName": f"N{i}", "hv": [1.0, 2.5]},
                    }
                    for i in range(n)
                ),
                5000,
            )
            store.write_batches(
                "link_emails",
                (
                    {"customerId": f"crm:{i:08d}", "email": f"e{i // 4}@example.com"}
                    for i in range(n)
                ),
                5000,
            )
            load = time.perf_counter() - started
            started = time.perf_counter()
            summary = export_neo4j_import(store, Path(tmp) / "out")
            export = time.perf_counter() - started
        finally:
            store.close()
    entities = sum(summary.nodes.values()) + sum(summary.relationships.values())
    print(
        f"{n:,} customers: load {load:.1f}s, export {export:.1f}s "
        f"({entities / export:,.0f} nodes+relationships/s), export/load {export / load:.2f}"
    )


if __name__ == "__main__":
    main()
