"""Setting properties on many nodes found by their key, in the form a store parses fastest.

A batch stage writes its results as one map of properties per node (`SET n += row.props`).
Sent that way, every row repeats every property's name, and FalkorDB reads a query's
parameters at about 12 MB a second: at a million customers the metrics batch sent 1.1 GB of
query text and its server spent 85 s reading it (docs/performance.md, "Properties by
position"). Here the rows are grouped by the names they set; a group of at least
POSITIONAL_MIN rows is sent as lists of values under a statement that names each property
once (`SET n.a = row[1], n.b = row[2]`), and a value every row of a batch shares (the time
of a metrics run in every first history point) is sent once, as its own parameter. Rows in
smaller groups go as maps, as before. A null removes the property in both forms, as in a
map; either way each node ends with the properties its row gives it
(tests/test_store_properties.py checks the forms against each other on generated rows).

Rows are grouped within a window of WINDOW_BATCHES batches, so memory stays bounded by the
batch size, not the data; a key seen again inside a window starts a new window, so a node
written twice gets its rows in the order given.

The same saving for any batched write (`positional_rows`, below): FalkorDB's store sends the
rows of a statement that reads them only as `row.field` as lists of values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.store.base import name_query, query_name, safe_identifier, strip_cypher

PropertyRow = tuple[str, Mapping[str, Any]]  # a node's key and the properties to set

# A group smaller than this goes as maps: its own statement would cost a round trip and a
# parse for the few hundred bytes of names it saves.
POSITIONAL_MIN = 16
WINDOW_BATCHES = 10


@dataclass(frozen=True, slots=True)
class PropertyWrite:
    """One batch: its statement, its parameters and how many nodes it writes. `keys` are the
    nodes' keys when they travel inside lists of values (the store checks them as keys)."""

    text: str
    params: dict[str, Any]
    count: int
    keys: list[str] | None = None


@lru_cache(maxsize=256)
def positional_query(name: str, label: str, key: str, columns: tuple[tuple[str, bool], ...]) -> str:
    """The statement for rows [key, value, ...]: each (property, shared) column is set from
    the row's next value, or from the parameter c<i> when every row shares it."""
    node = f"n:{safe_identifier(label)} {{{safe_identifier(key)}: row[0]}}"
    refs = _references(tuple(s for _, s in columns), "row", 1, "c")
    sets = [
        f"n.{safe_identifier(prop)} = {ref}" for (prop, _), ref in zip(columns, refs, strict=True)
    ]
    text = f"UNWIND $rows AS row\nMATCH ({node})\nSET {', '.join(sets)}"
    return name_query(text, name)


@lru_cache(maxsize=64)
def map_query(name: str, label: str, key: str) -> str:
    """The statement for rows {key: ..., props: {...}}."""
    k = safe_identifier(key)
    node = f"n:{safe_identifier(label)} {{{k}: row.{k}}}"
    text = f"UNWIND $rows AS row\nMATCH ({node})\nSET n += row.props"
    return name_query(text, name)


def property_writes(
    name: str, label: str, key: str, rows: Iterable[PropertyRow], batch_size: int
) -> Iterator[PropertyWrite]:
    """The batches that set each row's properties on the `label` node whose `key` property
    is the row's key. Rows without properties set nothing and are left out. `name` names
    the write in errors."""
    window: list[PropertyRow] = []
    seen: set[str] = set()
    for row in rows:
        if not row[1]:
            continue
        if row[0] in seen or len(window) >= WINDOW_BATCHES * batch_size:
            yield from _window(name, label, key, window, batch_size)
            window, seen = [], set()
        window.append(row)
        seen.add(row[0])
    yield from _window(name, label, key, window, batch_size)


def _window(
    name: str, label: str, key: str, rows: list[PropertyRow], batch_size: int
) -> Iterator[PropertyWrite]:
    signatures = [tuple(sorted(props)) for _, props in rows]
    groups: dict[tuple[str, ...], list[PropertyRow]] = {}
    for row, names in zip(rows, signatures, strict=True):
        groups.setdefault(names, []).append(row)
    for names, group in groups.items():
        if len(group) >= POSITIONAL_MIN:
            for start in range(0, len(group), batch_size):
                yield _positional(name, label, key, names, group[start : start + batch_size])
    few = [
        row
        for row, names in zip(rows, signatures, strict=True)
        if len(groups[names]) < POSITIONAL_MIN
    ]
    text = map_query(name, label, key)
    for start in range(0, len(few), batch_size):
        part = few[start : start + batch_size]
        params = {"rows": [{key: k, "props": dict(props)} for k, props in part]}
        yield PropertyWrite(text, params, len(part))


def _positional(
    name: str, label: str, key: str, names: tuple[str, ...], part: list[PropertyRow]
) -> PropertyWrite:
    columns = [[props[n] for _, props in part] for n in names]
    shared, values = by_position(columns, len(part))
    params: dict[str, Any] = {f"c{i}": col[0] for i, col in enumerate(columns) if shared[i]}
    keys = [k for k, _ in part]
    params["rows"] = [[k, *row] for k, row in zip(keys, values, strict=True)]
    text = positional_query(name, label, key, tuple(zip(names, shared, strict=True)))
    return PropertyWrite(text, params, len(part), keys)


def by_position(columns: list[list[Any]], count: int) -> tuple[tuple[bool, ...], list[list[Any]]]:
    """Whether each column (of `count` values) is shared by every row, and the values of the
    others as `count` rows."""
    shared = tuple(shared_value(c) for c in columns)
    varying = [c for c, s in zip(columns, shared, strict=True) if not s]
    rows = [list(v) for v in zip(*varying, strict=True)] if varying else [[] for _ in range(count)]
    return shared, rows


def _references(shared: tuple[bool, ...], var: str, first: int, prefix: str) -> list[str]:
    """How a statement reads each column: `var[i]`, counting from `first` over the columns
    sent in the rows, or the parameter `prefix<n>` for the n-th column when it is shared."""
    out, at = [], first
    for n, s in enumerate(shared):
        if s:
            out.append(f"${prefix}{n}")
        else:
            out.append(f"{var}[{at}]")
            at += 1
    return out


def shared_value(values: list[Any]) -> bool:
    """Whether every value is the same value, exactly (type included): a text, an integer, a
    boolean, null or a list of texts. Other kinds (floats, where 0.0 and -0.0 are equal but
    not the same, and mixed lists) are never taken as shared."""
    first = values[0]
    kind = type(first)
    if kind is list:
        if not all(type(x) is str for x in first):
            return False
    elif first is not None and kind not in (str, int, bool):
        return False
    return all(type(v) is kind and v == first for v in values[1:])


# -- rows of any batched write, by position --------------------------------------------------
# A batched write's rows are maps read as `row.field`: sent by position, each row's values
# go without their names, and a value every row shares goes once. The same statement with
# `row.field` made `row[i]` (or the shared value's parameter) does the same for every row,
# a missing field being null either way; a statement that uses its row any other way (passes
# it on whole, reads it with keys(), names it inside a string) is sent as it is.

_UNWIND_ROWS = re.compile(r"\bUNWIND\s+\$rows\s+AS\s+(\w+)", re.IGNORECASE)
SHARED_PREFIX = "rowsShared"  # the parameters a shared value is sent as: rowsShared0, ...


@lru_cache(maxsize=512)
def row_fields(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(the rows' variable, the fields the statement reads as variable.field, in order) when
    it reads its rows only that way; else None."""
    stripped = strip_cypher(text)
    found = _UNWIND_ROWS.findall(stripped)
    if len(found) != 1 or SHARED_PREFIX in text:
        return None
    var = found[0]
    use = re.compile(rf"(?<![.\w$`]){re.escape(var)}\b")
    field = _field_reads(var)
    uses = [m.start() for m in use.finditer(stripped)]
    reads = [m.start() for m in field.finditer(stripped)]
    if len(uses) != len(reads) + 1:  # every use but the UNWIND's own is a field read
        return None
    if len(field.findall(text)) != len(reads):  # one inside a string or a comment
        return None
    return var, tuple(dict.fromkeys(field.findall(stripped)))


@lru_cache(maxsize=64)
def _field_reads(var: str) -> re.Pattern[str]:
    """`var.field` where var is the variable itself (not `n.var`, `$var`)."""
    return re.compile(rf"(?<![.\w$`]){re.escape(var)}\.(\w+)")


@lru_cache(maxsize=512)
def _positional_text(text: str, var: str, names: tuple[str, ...], shared: tuple[bool, ...]) -> str:
    at = dict(zip(names, _references(shared, var, 0, SHARED_PREFIX), strict=True))
    out = _field_reads(var).sub(lambda m: at[m.group(1)], text)
    known = query_name(text)
    return name_query(out, known) if known else out


def positional_rows(text: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The statement and parameters that send `params["rows"]` (maps) by position, or None
    where that would not pay (fewer than POSITIONAL_MIN rows) or the statement uses its rows
    otherwise than by field."""
    rows = params.get("rows")
    if not isinstance(rows, list) or len(rows) < POSITIONAL_MIN:
        return None
    if not all(type(r) is dict for r in rows):
        return None
    found = row_fields(text)
    if found is None:
        return None
    var, names = found
    columns = [[r.get(n) for r in rows] for n in names]
    shared, values = by_position(columns, len(rows))
    out = {k: v for k, v in params.items() if k != "rows"}
    out |= {f"{SHARED_PREFIX}{n}": c[0] for n, c in enumerate(columns) if shared[n]}
    out["rows"] = values
    return _positional_text(text, var, names, shared), out
