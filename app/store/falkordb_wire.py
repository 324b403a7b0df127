"""What goes over the wire to the embedded FalkorDB: query parameters as the text header
FalkorDB reads, its compact query replies parsed into plain values, the store errors its
refusals map to, and GRAPH.BULK's binary tokens packed (app/store/falkordb.py sends them)."""

from __future__ import annotations

import itertools
import struct
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
import orjson
from falkordb.helpers import stringify_param_value
from falkordb.query_result import QueryResult, parse_scalar
from redis.exceptions import ResponseError

from app.errors import StoreConflict, StoreError, StoreTimeout
from app.store.base import BulkEdges, Row, WriteSummary, query_label
from app.store.node_ids import NodeIds
from app.store.reads import NumberLists

# -- parameters ----------------------------------------------------------------------------
# FalkorDB takes a query's parameters as Cypher literals in a text header before the query.
# The client's encoder (stringify_param_value) turns each value into text in Python, one
# call per value: at a million customers 11.5 s of the metrics batch's client time went
# there. A list of rows by position (app/store/properties.py) holds scalars and lists of
# them, whose Cypher literal is their JSON text, which orjson writes in C (35 against 0.9 ms
# for a thousand rows of a metrics batch). The JSON text is used only where it reads back as
# the client's would; otherwise the client's encoder writes the value:
# - a map: JSON quotes its keys and FalkorDB refuses them (looked for only when the text
#   holds a brace, as a text value may: the state a profile keeps as JSON);
# - a text JSON writes with a \uXXXX escape (a control character other than \n, \t, \r, \b
#   and \f), which FalkorDB does not decode;
# - (a float that is not finite, which orjson would write as null, never gets here: the
#   parameter check both stores run refuses it first, app/values.py);
# - what orjson will not write as the client does (an integer beyond 64 bits, a date, a
#   dataclass, a subclass of a built-in type: orjson refuses them here).
# tests/test_store_params.py reads generated values back both ways.

_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_ORJSON |= orjson.OPT_PASSTHROUGH_SUBCLASS
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_JSON_LISTED = _JSON_SCALARS | {list}


def holds_only_lists(value: list[Any]) -> bool:
    """Whether the list holds scalars and lists of them only, at any depth (no map). Each
    depth's types by C-level iteration: ~6 ms for a thousand rows of a metrics batch, where
    walking them in Python took as long as the client's encoding."""
    is_list: Callable[[Any], bool] = list.__instancecheck__
    level: list[Any] = value
    while True:
        kinds = set(map(type, level))
        if not kinds <= _JSON_LISTED:
            return False
        if list not in kinds:
            return True
        level = list(itertools.chain.from_iterable(filter(is_list, level)))


def parameter_text(value: Any) -> str:
    """A parameter's value as FalkorDB's header reads it: a list's JSON text where that reads
    back the same, else the client's encoding."""
    if type(value) is list:
        try:
            text: str | None = orjson.dumps(value, option=_ORJSON).decode()
        except orjson.JSONEncodeError:
            text = None
        if text is not None and "\\u" not in text and ("{" not in text or holds_only_lists(value)):
            return text
    return str(stringify_param_value(value))


def params_header(params: Mapping[str, Any] | None) -> str:
    """The text before a query that gives FalkorDB its parameters (as the client's
    `_build_params_header` writes it, each value by `parameter_text`), for parameters
    `check_parameters` has passed."""
    if not params:
        return ""
    for name in params:
        if not name or "`" in name:  # as the client refuses them
            raise ValueError(f"unusable parameter name: {name!r}")
    return "CYPHER " + "".join(f"`{name}`={parameter_text(v)} " for name, v in params.items())


def _plain(value: Any) -> Any:
    """FalkorDB hands back OrderedDicts and Node objects; callers get plain values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    props = getattr(value, "properties", None)
    if isinstance(props, dict):
        return {k: _plain(v) for k, v in props.items()}
    return value


class Reply(NamedTuple):
    """A query's reply: column names, rows of plain values, the server's statistics."""

    names: list[str]
    rows: list[list[Any]]
    stats: QueryResult


def write_summary(done: Reply) -> WriteSummary:
    """What a write query changed, from its reply's statistics."""
    result = done.stats
    return WriteSummary(
        nodes_created=int(result.nodes_created),
        nodes_deleted=int(result.nodes_deleted),
        relationships_created=int(result.relationships_created),
        relationships_deleted=int(result.relationships_deleted),
        properties_set=int(result.properties_set),
    )


def _value(cell: list[Any], graph: Any) -> Any:
    """One compact-format value ([type, value]) as a plain one. Text, numbers, booleans, null
    and lists are read here, in one call each; maps, nodes, edges and the rest go through the
    client's parser (`parse_scalar`, whose per-value cost made big reads slow: 36,631 records
    took ~1 s of the client's CPU in it)."""
    kind, value = cell[0], cell[1]
    if kind == 2:
        return value if type(value) is str else parse_scalar(cell, graph)
    if kind == 1:
        return None
    if kind == 3:
        return int(value)
    if kind == 6:
        return [_value(v, graph) for v in value]
    if kind == 5:
        return float(value)
    if kind == 4:
        return (value.decode() if isinstance(value, bytes) else value) == "true"
    return _plain(parse_scalar(cell, graph))


def reply(graph: Any, raw: list[Any]) -> Reply:
    """Parse a GRAPH.QUERY reply given with --compact; an error in it is raised as the client
    raises it."""
    if isinstance(raw[0], ResponseError) or isinstance(raw[-1], ResponseError) or len(raw) == 1:
        result = QueryResult(graph, raw)  # raises an error; or statistics only
        return Reply([], [], result)
    names = [h[1] for h in raw[0]]
    rows = [[_value(cell, graph) for cell in row] for row in raw[1]]
    return Reply(names, rows, QueryResult(graph, [raw[-1]]))


def number_lists(raw: list[Any], name: str) -> NumberLists:
    """A verbose reply (no --compact) of a key column and columns of number lists, each
    list sent as one text ("[1, 2.500000]"), read a column at a time by numpy."""
    if len(raw) < 3:
        return NumberLists([], np.zeros(0, dtype=np.int64), {})
    header, records = [str(h) for h in raw[0]], raw[1]
    keys = [r[0] for r in records]
    lengths = np.zeros(len(records), dtype=np.int64)
    columns: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    for c, col in enumerate(header[1:], start=1):
        texts = [r[c] for r in records]
        counts = np.array([0 if t == "[]" else t.count(",") + 1 for t in texts], dtype=np.int64)
        joined = ",".join(t[1:-1] for t in texts if t != "[]")
        values = np.fromstring(joined, sep=",") if joined else np.zeros(0)
        if len(values) != counts.sum():
            raise StoreError(f"{name}: column {col} holds a value that is not a number")
        lengths, columns[col] = counts, values
    return NumberLists(keys, lengths, columns)


def text_columns(raw: list[Any]) -> dict[str, list[Any]]:
    """A verbose reply whose columns are texts, as columns (name -> values); {} for none."""
    if len(raw) < 3 or not raw[1]:
        return {}
    records = raw[1]
    return {str(name): [r[i] for r in records] for i, name in enumerate(raw[0])}


def refused(exc: ResponseError, text: str) -> StoreError:
    """The store error for a query FalkorDB refused (as app/store/neo4j.py maps Neo4j's)."""
    message = str(exc)
    if "unique constraint" in message.lower():
        return StoreConflict(f"FalkorDB refused a write that breaks a uniqueness rule: {message}")
    if "timed out" in message.lower():
        return StoreTimeout(f"a FalkorDB query ran past its timeout and was stopped ({message})")
    return StoreError(f"FalkorDB refused {query_label(text)}: {message}")


_NULL, _BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = 0, 1, 2, 3, 4, 5  # GRAPH.BULK value types
_TYPED = {
    bool: struct.Struct("=B?"),
    float: struct.Struct("=Bd"),
    int: struct.Struct("=Bq"),
}
_CODE = {bool: _BOOL, float: _DOUBLE, int: _LONG}
_ENDS = 16  # bytes of a relationship's ends: start and end ID, 8-byte little-endian each
BULK_TOKEN_BYTES = 32 * 2**20  # one command's payload, well under the server's limits
BULK_SLICE = 20_000  # entities encoded at a time: a label's whole columns at once cost memory


def _bulk_value(value: Any) -> bytes:
    kind = type(value)
    if kind is str:
        return b"\x03" + value.encode("utf-8") + b"\x00"
    if value is None:
        return b"\x00"
    if kind in _TYPED:
        return _TYPED[kind].pack(_CODE[kind], value)
    if isinstance(value, list | tuple):
        return _TYPED[int].pack(_ARRAY, len(value)) + b"".join(_bulk_value(v) for v in value)
    raise StoreError(f"a {kind.__name__} value cannot be bulk loaded")


def _bulk_column(values: list[Any]) -> list[bytes]:
    """One property's values in GRAPH.BULK's form, a column at a time (a value at a time
    costs twice as much on a 100k-record load)."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {str}:
        return [b"\x00" if v is None else b"\x03" + v.encode("utf-8") + b"\x00" for v in values]
    if len(kinds) == 1 and (kind := kinds.pop()) in _TYPED:
        pack, code = _TYPED[kind].pack, _CODE[kind]
        return [b"\x00" if v is None else pack(code, v) for v in values]
    return [_bulk_value(v) for v in values]


def bulk_tokens(
    name: str, props: list[Row], ends: np.ndarray | None
) -> Iterator[tuple[bytes, int]]:
    """GRAPH.BULK's binary form of one label's nodes (ends None) or one type's
    relationships (ends: start and end ID per row, an array of shape (rows, 2)): a header
    naming the properties, then
    each entity's values (a null is not stored); split into tokens of at most
    BULK_TOKEN_BYTES. Yields (token, entities in it)."""
    names = sorted({k for p in props for k in p})
    label = name.encode()
    header = struct.pack(f"={len(label) + 1}sI", label, len(names))
    header += b"".join(n.encode() + b"\x00" for n in names)
    parts: list[bytes] = [header]
    size, count = len(header), 0
    for at in range(0, len(props), BULK_SLICE):  # a slice's columns at a time
        rows = props[at : at + BULK_SLICE]
        columns = [_bulk_column([p.get(n) for p in rows]) for n in names]
        if ends is not None:
            packed = np.ascontiguousarray(ends[at : at + BULK_SLICE], dtype="<u8").tobytes()
            columns.insert(0, [packed[i : i + _ENDS] for i in range(0, len(packed), _ENDS)])
        for body in map(b"".join, zip(*columns, strict=True)) if columns else [b""] * len(rows):
            if size + len(body) > BULK_TOKEN_BYTES and count:
                yield b"".join(parts), count
                parts, size, count = [header], len(header), 0
            parts.append(body)
            size += len(body)
            count += 1
    if count:
        yield b"".join(parts), count


def relationship_tokens(
    rels: BulkEdges, start: NodeIds, end: NodeIds
) -> Iterator[tuple[bytes, int]]:
    """bulk_tokens of these relationships between the node IDs of their ends; as a query's
    MATCH, none where an end is not in the graph."""
    a = start.positions([r[0] for r in rels.rows])
    b = end.positions([r[1] for r in rels.rows])
    kept = (a >= 0) & (b >= 0)
    pairs = np.stack([start.ids[a[kept]], end.ids[b[kept]]], axis=1)
    props = [r[2] for r, k in zip(rels.rows, kept.tolist(), strict=True) if k]
    return bulk_tokens(rels.type, props, pairs)
