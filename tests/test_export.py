"""`idgraph export-neo4j-import`: the CSVs hold the whole graph, read back as neo4j-admin
import reads them (typed header columns, ';' arrays, an unquoted empty field is no
property), and the command names every file."""

from __future__ import annotations

import csv
import shlex
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.export import KEYS, ExportError, export_neo4j_import
from app.store import GraphStore
from tests.test_explore import GRAPH

EXTRA = """
MATCH (p:Profile {profileId: 'PR-A'}), (c:Customer {customerId: 'crm:1'})
SET p.sources = ['crm', 'pos', 'web'], p.dna_spend_hv = [1, 2.5, 3], p.dna_spend_ht = [10, 20, 30],
    p.sparse = false, p.note = 'said "hi", then left;\nnew line', p.empty = '',
    c.stub = true, c.score = 7
"""


def _typed(value: str | None, column: str) -> tuple[str, Any]:
    if column.startswith(":"):  # :START_ID(...) / :END_ID(...)
        return column, value
    name, _, kind = column.partition(":")  # an ID column's value is stored as `name`
    if value is None:
        return name, None
    convert = {"long": int, "double": float, "boolean": lambda v: v == "true", "string": str}
    base = kind.removesuffix("[]")
    if kind.endswith("[]"):
        return name, [convert[base](v) for v in value.split(";")]
    return name, convert.get(base, str)(value)


def _records(text: str) -> list[list[str | None]]:
    """CSV records as neo4j-admin reads them: "" doubled inside quotes, newlines inside
    quotes kept, an unquoted empty field is None (Python's csv module cannot tell it from "")."""
    records: list[list[str | None]] = []
    fields: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            j, value = i + 1, []
            while True:
                if text[j] == '"' and j + 1 < n and text[j + 1] == '"':
                    value.append('"')
                    j += 2
                elif text[j] == '"':
                    break
                else:
                    value.append(text[j])
                    j += 1
            fields.append("".join(value))
            i = j + 1
        else:
            j = i
            while j < n and text[j] not in ",\r\n":
                j += 1
            fields.append(text[i:j] or None)
            i = j
        if i >= n or text[i] in "\r\n":
            records.append(fields)
            fields = []
            i += 2 if text.startswith("\r\n", i) else 1
        else:
            i += 1  # the comma
    return records


def _read(directory: Path, prefix: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for header in sorted(directory.glob(f"{prefix}_*.header.csv")):
        data = header.with_name(header.name.replace(".header.csv", ".csv"))
        [columns] = list(csv.reader(header.open(newline="")))
        rows = []
        for record in _records(data.read_text(encoding="utf-8")):
            typed = dict(_typed(v, c) for v, c in zip(record, columns, strict=True))
            rows.append({k: v for k, v in typed.items() if v is not None})
        out[header.name.removesuffix(".header.csv")] = rows
    return out


def test_the_csvs_hold_the_whole_graph(store: GraphStore, tmp_path: Path) -> None:
    store.run_text(GRAPH, write=True)
    store.run_text(EXTRA, write=True)
    summary = export_neo4j_import(store, tmp_path / "out", "/import/idgraph", "customers")

    nodes = _read(tmp_path / "out", "nodes")
    rows, _ = store.run_text(
        "MATCH (n) RETURN labels(n)[0] AS label, properties(n) AS props", write=False
    )
    expected: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        expected.setdefault(f"nodes_{r['label']}", []).append(r["props"])
    assert set(nodes) == set(expected)
    for name, got in nodes.items():
        key = KEYS[name.removeprefix("nodes_")]
        # numbers compare by value: a list of ints and floats becomes double[] ([1] == [1.0])
        assert sorted(got, key=lambda n: n[key]) == sorted(expected[name], key=lambda n: n[key])
    profile_a = next(n for n in nodes["nodes_Profile"] if n["profileId"] == "PR-A")
    assert profile_a["note"] == 'said "hi", then left;\nnew line' and profile_a["empty"] == ""
    assert profile_a["dna_spend_hv"] == [1.0, 2.5, 3.0] and profile_a["sparse"] is False

    rels = _read(tmp_path / "out", "rels")
    got_rels = Counter(
        (
            name.removeprefix("rels_").rsplit("_", 2)[0],  # rels_<TYPE>_<Start>_<End>
            r.pop(next(c for c in r if c.startswith(":START_ID"))),
            r.pop(next(c for c in r if c.startswith(":END_ID"))),
            tuple(sorted(r.items())),
        )
        for name, rs in rels.items()
        for r in rs
    )
    rows, _ = store.run_text(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.customerId, a.profileId) AS a, "
        "coalesce(b.customerId, b.profileId, b.email, b.deviceId, b.householdId, "
        "b.interactionId) AS b, properties(r) AS props",
        write=False,
    )
    assert got_rels == Counter(
        (r["type"], r["a"], r["b"], tuple(sorted(r["props"].items()))) for r in rows
    )
    assert summary.relationships["MATCHES"] == 4 and summary.nodes["Customer"] == 6

    parts = shlex.split(summary.command.replace("\\\n", " "))
    assert parts[:5] == ["neo4j-admin", "database", "import", "full", "customers"]
    assert "--overwrite-destination=true" not in parts
    listed = {
        f
        for p in parts
        if p.startswith("--nodes=") or p.startswith("--relationships=")
        for f in p.split("=", 2)[2].split(",")
    }
    written = {f"/import/idgraph/{p.name}" for p in (tmp_path / "out").glob("*.csv")}
    assert listed == written
    assert (tmp_path / "out" / "import.sh").read_text().count("neo4j-admin") == 1


def test_an_export_refuses_a_folder_with_csvs(store: GraphStore, tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("x\n")
    with pytest.raises(ExportError, match="already holds CSV files"):
        export_neo4j_import(store, tmp_path)


def test_a_keyless_label_with_nodes_stops_the_export(store: GraphStore, tmp_path: Path) -> None:
    store.run_text("CREATE (:Scratch {note: 'no key'})", write=True)
    with pytest.raises(ExportError, match="label Scratch has no key"):
        export_neo4j_import(store, tmp_path / "out")
