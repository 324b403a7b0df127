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
map; either way each node ends with the properties its row gives it (tests/store/
test_properties.py checks the forms against each other on generated rows).

Rows are grouped within a window of WINDOW_BATCHES batches, so memory stays bounded by the
batch size, not the data; a key seen again inside a window starts a new window, so a node
written twice gets its rows in the order given."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.store.base import name_query, safe_identifier

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
    sets, at = [], 1
    for i, (prop, shared) in enumerate(columns):
        if shared:
            sets.append(f"n.{safe_identifier(prop)} = $c{i}")
        else:
            sets.append(f"n.{safe_identifier(prop)} = row[{at}]")
            at += 1
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
    shared = tuple(shared_value(col) for col in columns)
    params: dict[str, Any] = {f"c{i}": col[0] for i, col in enumerate(columns) if shared[i]}
    varying = [col for col, s in zip(columns, shared, strict=True) if not s]
    keys = [k for k, _ in part]
    params["rows"] = [list(values) for values in zip(keys, *varying, strict=True)]
    text = positional_query(name, label, key, tuple(zip(names, shared, strict=True)))
    return PropertyWrite(text, params, len(part), keys)


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
