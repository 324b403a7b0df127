"""A first load of Neo4j in bulk: the configured store's graph (typically the embedded one,
where loading and resolving ran) written as neo4j-admin import CSVs, one node file per label
and one relationship file per (type, start label, end label), each with a typed header file,
plus the exact `neo4j-admin database import full` command (docs/neo4j.md, "Bulk first load").

Values keep their types: integers as long, floats as double, booleans, strings, and lists of
one kind as arrays (';' between elements). A property with values of different kinds on
different nodes of a label is written as a string, and said so."""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import IdGraphError
from app.store import GraphStore
from app.store.base import UNIQUE_KEYS, safe_identifier

ARRAY_DELIMITER = ";"
PAGE = 10_000  # nodes per read: keyset pages over each label's key
KEYS = {k.label: k.prop for k in UNIQUE_KEYS}


class ExportError(IdGraphError):
    """The graph holds something neo4j-admin import cannot take as it is."""


def node_page_query(label: str, key: str) -> str:
    label, key = safe_identifier(label), safe_identifier(key)
    return (
        f"MATCH (n:{label}) WHERE $after IS NULL OR n.{key} > $after "
        f"WITH n ORDER BY n.{key} LIMIT $limit "
        f"RETURN n.{key} AS key, properties(n) AS props, size(labels(n)) AS labelCount"
    )


def label_count_query(label: str) -> str:
    return f"MATCH (n:{safe_identifier(label)}) RETURN count(n) AS n"


def relationship_page_query(
    rel_type: str, start: str, start_key: str, end: str, end_key: str
) -> str:
    t, s, sk = safe_identifier(rel_type), safe_identifier(start), safe_identifier(start_key)
    e, ek = safe_identifier(end), safe_identifier(end_key)
    # Pages over start nodes (a page of them may hold none of these relationships: `last`
    # still moves the page on).
    return (
        f"MATCH (a:{s}) WHERE $after IS NULL OR a.{sk} > $after "
        f"WITH a ORDER BY a.{sk} LIMIT $limit "
        f"WITH collect(a) AS page, max(a.{sk}) AS last "
        f"UNWIND page AS a "
        f"OPTIONAL MATCH (a)-[r:{t}]->(b:{e}) "
        f"RETURN last, a.{sk} AS start, b.{ek} AS end, properties(r) AS props"
    )


ENDPOINTS = (
    "MATCH (a)-[r]->(b) WHERE type(r) = $type "
    "RETURN DISTINCT labels(a)[0] AS start, labels(b)[0] AS end"
)
LABELS = "CALL db.labels() YIELD label RETURN label"
TYPES = "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS type"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        kinds = {_kind(v) for v in value}
        if kinds <= {"long", "double"} and "double" in kinds:
            return "double[]"
        if len(kinds) == 1 and not next(iter(kinds)).endswith("[]"):
            return f"{next(iter(kinds))}[]"
        return "mixed[]" if value else "empty[]"
    raise ExportError(f"a value of type {type(value).__name__} cannot go into a CSV: {value!r}")


def _merge(a: str | None, b: str) -> str:
    """The column type for values of kinds a (so far) and b."""
    if a is None or a == b or b == "empty[]":
        return a or b
    if a == "empty[]":
        return b
    if {a, b} == {"long", "double"}:
        return "double"
    if {a, b} == {"long[]", "double[]"}:
        return "double[]"
    return "string"


def _cell(value: Any, column_type: str) -> str | None:
    if value is None:
        return None  # no property: an unquoted empty field
    if column_type == "string" and not isinstance(value, str):
        return repr(value) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(_cell(v, column_type[:-2]) or "" for v in value)
    return str(value)


@dataclass
class CsvFile:
    """One data file being written, with the types of its property columns."""

    path: Path
    fixed: list[str]  # the ID / START_ID / END_ID columns
    columns: dict[str, str | None] = field(default_factory=dict)  # property -> type
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    _spool: Any = None

    def add(self, ids: list[str], props: Mapping[str, Any], where: str) -> None:
        for key, value in props.items():
            if value is None:
                continue
            kind = _kind(value)
            if kind == "mixed[]":
                raise ExportError(f"{where}: property {key!r} is a list of mixed kinds: {value!r}")
            if kind.endswith("[]") and any(ARRAY_DELIMITER in str(v) for v in value):
                raise ExportError(
                    f"{where}: property {key!r} has a list element holding "
                    f"{ARRAY_DELIMITER!r}, the array delimiter: {value!r}"
                )
            before = self.columns.get(key)
            self.columns[key] = _merge(before, kind)
            if before and self.columns[key] == "string" and before != "string":
                self.notes.append(f"{self.path.stem}.{key}: {before} and {kind} values, as text")
        if self._spool is None:
            self._spool = self.path.with_suffix(".jsonl").open("w", encoding="utf-8")
        self._spool.write(json.dumps([ids, dict(props)]) + "\n")
        self.rows += 1

    def finish(self) -> tuple[Path, Path]:
        """Write the header file and the data file (values typed by their columns)."""
        self._spool.close()
        spool = self.path.with_suffix(".jsonl")
        names = list(self.columns)
        types = {k: (t or "string") for k, t in self.columns.items()}
        types = {k: ("string[]" if t == "empty[]" else t) for k, t in types.items()}
        header = self.path.with_name(self.path.stem + ".header.csv")
        with header.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerow(
                [*self.fixed, *(f"{k}:{types[k]}" if types[k] != "string" else k for k in names)]
            )
        with (
            spool.open(encoding="utf-8") as src,
            self.path.open("w", newline="", encoding="utf-8") as out,
        ):
            writer = csv.writer(out, quoting=csv.QUOTE_NOTNULL)
            for line in src:
                ids, props = json.loads(line)
                writer.writerow([*ids, *(_cell(props.get(k), types[k]) for k in names)])
        spool.unlink()
        return header, self.path


@dataclass
class ExportSummary:
    directory: Path
    nodes: dict[str, int]
    relationships: dict[str, int]
    command: str
    notes: list[str]


def _read(store: GraphStore, text: str, **params: Any) -> list[dict[str, Any]]:
    return store.run_text(text, params, write=False)[0]


def _pages(store: GraphStore, text: str, page_field: str) -> Iterator[dict[str, Any]]:
    after = None
    while True:
        rows = _read(store, text, after=after, limit=PAGE)
        if not rows:
            return
        yield from rows
        after = max(r[page_field] for r in rows)


def export_neo4j_import(
    store: GraphStore,
    directory: Path,
    import_path: str | None = None,
    database: str = "neo4j",
    overwrite: bool = False,
) -> ExportSummary:
    """Write the CSVs into directory and return the command that imports them; file paths in
    the command start with import_path (where neo4j-admin sees directory), default its path."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.glob("*.csv")):
        raise ExportError(f"{directory} already holds CSV files; give an empty folder")
    seen = import_path.rstrip("/") if import_path else str(directory.resolve())
    files: list[tuple[str, str, CsvFile]] = []  # (option, name, file)
    nodes: dict[str, int] = {}
    for label in sorted(str(r["label"]) for r in _read(store, LABELS)):
        key = KEYS.get(label)
        if key is None:
            # a store may list a label no node carries any more (a dropped test label)
            [count] = _read(store, label_count_query(label))
            if count["n"]:
                raise ExportError(f"label {label} has no key in app/store/base.py UNIQUE_KEYS")
            continue
        f = CsvFile(directory / f"nodes_{label}.csv", [f"{key}:ID({label})"])
        for row in _pages(store, node_page_query(label, key), "key"):
            where = f"{label} {row['key']!r}"
            if row["key"] is None:
                raise ExportError(f"a {label} node has no {key}")
            if row["labelCount"] != 1:
                raise ExportError(f"{where} has several labels; one label per node is exported")
            props = {k: v for k, v in row["props"].items() if k != key}
            f.add([str(row["key"])], props, where)
        if f.rows:
            files.append(("nodes", label, f))
            nodes[label] = f.rows
    relationships: dict[str, int] = {}
    for rel_type in sorted(str(r["type"]) for r in _read(store, TYPES)):
        ends = _read(store, ENDPOINTS, type=rel_type)
        for pair in sorted((str(e["start"]), str(e["end"])) for e in ends):
            start, end = pair
            f = CsvFile(
                directory / f"rels_{rel_type}_{start}_{end}.csv",
                [f":START_ID({start})", f":END_ID({end})"],
            )
            query = relationship_page_query(rel_type, start, KEYS[start], end, KEYS[end])
            for row in _pages(store, query, "last"):
                if row["end"] is not None:
                    f.add([str(row["start"]), str(row["end"])], row["props"] or {}, rel_type)
            if f.rows:
                files.append(("relationships", rel_type, f))
                relationships[rel_type] = relationships.get(rel_type, 0) + f.rows
    # The database name comes right after `full` (neo4j-admin 5.19 and later).
    parts = ["neo4j-admin", "database", "import", "full", database]
    notes: list[str] = []
    for option, name, f in files:
        header, data = f.finish()
        notes += f.notes
        parts.append(f"--{option}={name}={seen}/{header.name},{seen}/{data.name}")
    parts += ["--id-type=string", f"--array-delimiter={ARRAY_DELIMITER}", "--multiline-fields=true"]
    if overwrite:  # the database exists already (e.g. Neo4j was started once): replace it
        parts.append("--overwrite-destination=true")
    command = " \\\n  ".join(shlex.quote(p) for p in parts)
    (directory / "import.sh").write_text(
        "#!/bin/sh\n# Run with Neo4j stopped, into an empty database; then `idgraph schema`.\n"
        f"set -e\n{command}\n",
        encoding="utf-8",
    )
    return ExportSummary(directory, nodes, relationships, command, notes)
