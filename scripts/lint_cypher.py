"""Lint every Cypher statement we send Neo4j with Neo4j's own front end (scripts/cypher-lint):
each cypher/**/*.cypher file (FalkorDB twins aside), every schema statement the Neo4j store
runs and the reads export-neo4j-import builds, for Cypher 5 and Cypher 25. Fails on any
error and any deprecation.

Usage: python scripts/lint_cypher.py [FILE.cypher ...]   (no files: all of cypher/)"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINTER = ROOT / "scripts" / "cypher-lint"
PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
CACHE = ROOT / ".cache" / "cypher-lint-clean.json"  # digests of statements found clean
NOT_NEO4J = {"falkordb"}  # cypher/<backend>/ twins that are not Neo4j's dialect


def cypher_files(root: Path = ROOT / "cypher") -> list[Path]:
    return sorted(
        p for p in root.rglob("*.cypher") if not NOT_NEO4J & set(p.relative_to(root).parts[:-1])
    )


def statements(files: list[Path]) -> list[dict[str, object]]:
    from app import export
    from app.resolution.realtime import candidates_query
    from app.resolution.records import records_query
    from app.store.neo4j import SCHEMA_QUERIES, schema_statements
    from app.store.properties import map_query, positional_query

    out: list[dict[str, object]] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        source = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
        out.append({"source": source, "text": text, "params": sorted(set(PARAM.findall(text)))})
    generated = [
        *schema_statements(),
        *SCHEMA_QUERIES,
        # export-neo4j-import's reads, with a label and a type filled in
        export.node_page_query("Customer", "customerId"),
        export.label_count_query("Customer"),
        export.relationship_page_query("MATCHES", "Customer", "customerId", "Customer", "x"),
        export.ENDPOINTS,
        # resolve's and training's read of every record, with a declared identifier type
        records_query(["nationalId"]),
        # real time's candidate lookup, for two rules
        candidates_query(("bk_first__dob", "bk_last")),
        # properties set by position (one value given per row, one shared) and as maps
        positional_query("lint", "Profile", "profileId", (("dna_x", False), ("dna_x_ht", True))),
        map_query("lint", "Profile", "profileId"),
        export.LABELS,
        export.TYPES,
    ]
    for i, text in enumerate(generated):
        source = f"<generated statement {i + 1}>\n    {text}"
        out.append({"source": source, "text": text, "params": sorted(set(PARAM.findall(text)))})
    return out


def _digest(item: dict[str, object]) -> str:
    lock = (LINTER / "package-lock.json").read_bytes() + (LINTER / "lint.mjs").read_bytes()
    body = json.dumps([item["text"], item["params"]]).encode()
    return hashlib.sha256(lock + body).hexdigest()


def lint(items: list[dict[str, object]], workers: int | None = None) -> list[dict[str, object]]:
    """Problems found in items. Statements found clean before (same text, same linter) are
    not linted again; the rest are split over one node process per core (each lint takes a
    few tenths of a second)."""
    if not (LINTER / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        raise SystemExit("error: Neo4j's Cypher linter is not installed; run `make install`")
    clean: set[str] = set(json.loads(CACHE.read_text())) if CACHE.is_file() else set()
    todo = [i for i in items if _digest(i) not in clean]
    n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    procs = [
        subprocess.Popen(
            ["node", str(LINTER / "lint.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n if todo else 0)
    ]
    found: list[dict[str, object]] = []
    with ThreadPoolExecutor(max_workers=n) as pool:  # each process gets its input at once
        outputs = list(
            pool.map(lambda k: procs[k].communicate(json.dumps(todo[k::n])), range(len(procs)))
        )
    for p, (out, err) in zip(procs, outputs, strict=True):
        if p.returncode != 0:
            raise SystemExit(f"error: the Cypher linter failed:\n{err}")
        found.extend(json.loads(out))
    bad = {str(f["source"]) for f in found}
    clean.update(_digest(i) for i in todo if str(i["source"]) not in bad)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps(sorted(clean)))
    return found


def main(argv: list[str]) -> int:
    files = [Path(a).resolve() for a in argv] if argv else cypher_files()
    items = statements(files)
    found = lint(items)
    for f in found:
        print(
            f"{f['source']}:{f['line']}:{f['column']}: Cypher {f['version']} "
            f"{f['severity']}: {f['message']}"
        )
    if found:
        print(f"{len(found)} problem(s) in Neo4j's Cypher front end", file=sys.stderr)
        return 1
    print(
        f"Cypher lint: {len(items)} statements clean for Cypher 5 and Cypher 25 "
        f"({len(files)} files, {len(items) - len(files)} generated statements)"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
