"""Rules Neo4j enforces that the test run's other engines may not (FalkorDB, the ArcadeDB
stand-in), checked for every query the suite sends through a store (tests/conftest.py wraps
both backends' run_text, write_batches and read_number_lists):

- no MERGE on a null key (Neo4j: "Cannot merge ... null property value");
- no stored list holding null or mixing types (numbers mix: Neo4j coerces them);
- no stored map (Neo4j keeps no map-valued property);
- no write in a read-routed query (Neo4j refuses writes in a read transaction; the stand-in
  runs them).

A query's values come from its parameters, so the checks evaluate the property expressions
of MERGE, CREATE and SET against them: `$p`, `$p.a`, and variables bound by
`UNWIND <list> AS v` or `FOREACH (v IN <list> | ...)` over such lists. A value computed by
Cypher itself (collect(), a CASE) cannot be known before the query runs; the graph scan in
conftest's store fixture checks what was stored instead."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.store.base import strip_cypher as strip
from app.store.base import write_clause

# A value the checker cannot know before the query runs.
UNKNOWN = object()
_NOT_NULL = "<literal>"

_BIND = re.compile(
    r"\bUNWIND\s+(?P<src1>[$\w.]+)\s+AS\s+(?P<v1>\w+)"
    r"|\bFOREACH\s*\(\s*(?P<v2>\w+)\s+IN\s+(?P<src2>[$\w.]+)\s*\|"
    # a value only where it is not null: FOREACH (x IN CASE WHEN v IS NULL THEN [] ELSE [v] END
    r"|\bFOREACH\s*\(\s*(?P<v3>\w+)\s+IN\s+CASE\s+WHEN\s+(?P<src3>[$\w.]+)\s+IS\s+NULL"
    r"\s+THEN\s+\[\s*\]\s+ELSE\s+\[\s*(?P=src3)\s*\]\s+END\s*\|"
    # a list that may be missing: FOREACH (x IN coalesce(v, []) |
    r"|\bFOREACH\s*\(\s*(?P<v4>\w+)\s+IN\s+coalesce\(\s*(?P<src4>[$\w.]+)\s*,\s*\[\s*\]\s*\)\s*\|",
    re.IGNORECASE,
)
_MERGE = re.compile(r"\bMERGE\b", re.IGNORECASE)
_CLAUSE_END = re.compile(
    r"\b(ON\s+CREATE|ON\s+MATCH|SET|WITH|RETURN|MERGE|CREATE|MATCH|OPTIONAL|UNWIND|"
    r"FOREACH|DELETE|DETACH|REMOVE|CALL)\b",
    re.IGNORECASE,
)
_CREATE = re.compile(r"\bCREATE\b", re.IGNORECASE)
_SET_ITEMS = re.compile(
    r"\bSET\s+(?P<items>.+?)(?=\b(?:WITH|RETURN|MERGE|CREATE|MATCH|OPTIONAL|UNWIND|FOREACH|"
    r"DELETE|DETACH|REMOVE|CALL|ON|SET|WHERE|ORDER)\b|\)\s*$|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_MAP = re.compile(r"\{([^{}]*)\}")


_EXPECTED = threading.local()


@contextmanager
def refusal_expected() -> Iterator[None]:
    """For a test of how a store refuses what Neo4j refuses: its queries go to the store
    unchecked (in this thread)."""
    _EXPECTED.on = True
    try:
        yield
    finally:
        _EXPECTED.on = False


def checking() -> bool:
    return not getattr(_EXPECTED, "on", False)


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


_STEP = re.compile(r"\.(\w+)|\[(\d+)\]")


def _path(values: list[Any], suffix: str) -> list[Any]:
    """The values of `suffix` (".a.b", "[0]", ".a[2]") applied to each value."""
    for name, index in _STEP.findall(suffix):
        nxt: list[Any] = []
        for v in values:
            if v is UNKNOWN:
                nxt.append(UNKNOWN)
            elif name and isinstance(v, Mapping):
                nxt.append(v.get(name))
            elif index and isinstance(v, list | tuple):
                nxt.append(v[int(index)] if int(index) < len(v) else None)
            elif v is None:
                nxt.append(None)
            else:
                nxt.append(UNKNOWN)
        values = nxt
    return values


class Scope:
    """The values each name can take in one query, from its parameters."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.vars: dict[str, list[Any]] = {}

    def values(self, expr: str) -> list[Any]:
        """Every value `expr` takes, or [UNKNOWN] where that cannot be told."""
        expr = expr.strip()
        if not expr:
            return [UNKNOWN]
        if expr in ("''", '""') or re.fullmatch(r"-?\d+(\.\d+)?|true|false", expr, re.I):
            return [_NOT_NULL]
        if expr.lower() == "null":
            return [None]
        if "+" in expr:  # a concatenation or sum is null when any part is
            parts = [self.values(p) for p in expr.split("+")]
            if any(v is None for p in parts for v in p):
                return [None]
            if any(v is UNKNOWN for p in parts for v in p):
                return [UNKNOWN]
            return [_NOT_NULL]
        m = re.fullmatch(r"\$(\w+)((?:\.\w+|\[\d+\])*)", expr)
        if m:
            if m.group(1) not in self.params:
                return [UNKNOWN]
            return _path([self.params[m.group(1)]], m.group(2))
        m = re.fullmatch(r"(\w+)((?:\.\w+|\[\d+\])*)", expr)
        if m and m.group(1) in self.vars:
            return _path(self.vars[m.group(1)], m.group(2))
        return [UNKNOWN]

    def bind(self, var: str, source: str) -> None:
        elements: list[Any] = []
        for value in self.values(source):
            if isinstance(value, list):
                elements.extend(value)
            elif value is not None:
                elements.append(UNKNOWN)
        self.vars[var] = elements


def _items(body: str) -> Iterable[tuple[str, str]]:
    """key: expr pairs of a map literal's body (no nested maps: those are not checked)."""
    depth, start, parts = 0, 0, []
    for i, c in enumerate(body):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    for part in parts:
        key, sep, expr = part.partition(":")
        if sep:
            yield key.strip(), expr.strip()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def stored_value_problem(key: str, value: Any) -> str | None:
    """Why Neo4j would refuse `value` as the property `key`, or None."""
    if isinstance(value, Mapping):
        return f"property {key!r} would hold a map ({value!r:.80})"
    if isinstance(value, list | tuple):
        if any(v is None for v in value):
            return f"property {key!r} would hold a list with null ({list(value)!r:.80})"
        kinds = {_kind(v) for v in value}
        if len(kinds) > 1:
            return f"property {key!r} would mix {sorted(kinds)} ({list(value)!r:.80})"
        if kinds & {"dict", "list", "tuple"}:
            return f"property {key!r} would hold nested values ({list(value)!r:.80})"
    return None


def check(text: str, params: Mapping[str, Any] | None, write: bool) -> list[Violation]:
    """What this query, with these parameters, does that Neo4j would refuse."""
    query = strip(text)
    found: list[Violation] = []
    clause = None if write else write_clause(text)
    if clause:
        found.append(Violation("write in a read query", f"{clause} in {_head(text)}"))
    scope = Scope(params or {})
    events = sorted(
        [(m.start(), "bind", m) for m in _BIND.finditer(query)]
        + [(m.start(), "merge", m) for m in _MERGE.finditer(query)]
        + [(m.start(), "create", m) for m in _CREATE.finditer(query)]
        + [(m.start(), "set", m) for m in _SET_ITEMS.finditer(query)],
        key=lambda e: e[0],
    )
    for _pos, kind, m in events:
        if kind == "bind":
            if m.group("v3"):  # the value itself, where it is not null
                scope.vars[m.group("v3")] = [
                    v for v in scope.values(m.group("src3")) if v is not None
                ]
            else:  # each element of a list (none of a null)
                var = m.group("v1") or m.group("v2") or m.group("v4")
                scope.bind(var, m.group("src1") or m.group("src2") or m.group("src4"))
        elif kind in ("merge", "create"):
            end = _CLAUSE_END.search(query, m.end())
            pattern = query[m.end() : end.start() if end else len(query)]
            for body in _MAP.findall(pattern):
                for key, expr in _items(body):
                    values = scope.values(expr)
                    if kind == "merge" and any(v is None for v in values):
                        found.append(
                            Violation("MERGE on a null key", f"{key}: {expr} in {_head(text)}")
                        )
                    found.extend(_stored(key, values, text))
        else:
            for item in _split_set(m.group("items")):
                target, op, expr = _set_item(item)
                if op == "+=":
                    for value in scope.values(expr):
                        if isinstance(value, Mapping):
                            for key, v in value.items():
                                found.extend(_stored(key, [v], text))
                elif op == "=" and "." in target:
                    found.extend(_stored(target.split(".", 1)[1], scope.values(expr), text))
    return _unique(found)


def unchecked_merge_keys(text: str) -> list[str]:
    """MERGE keys whose value check() cannot know from the parameters (computed by Cypher):
    those would slip past the null-key rule."""
    query = strip(text)
    bound: set[str] = set()
    out = []

    def known(expr: str) -> bool:
        expr = expr.strip()
        if "+" in expr:
            return all(known(p) for p in expr.split("+"))
        if expr in ("''", '""') or re.fullmatch(r"-?\d+(\.\d+)?|true|false|null", expr, re.I):
            return True
        m = re.fullmatch(r"\$?(\w+)(?:\.\w+)*", expr)
        return bool(m) and (expr.startswith("$") or m.group(1) in bound)

    events = sorted(
        [(m.start(), m) for m in _BIND.finditer(query)]
        + [(m.start(), m) for m in _MERGE.finditer(query)],
        key=lambda e: e[0],
    )
    for _pos, m in events:
        if m.re is _BIND:
            source = next(m.group(f"src{i}") for i in range(1, 5) if m.group(f"src{i}"))
            if known(source):
                bound.add(next(m.group(f"v{i}") for i in range(1, 5) if m.group(f"v{i}")))
            continue
        end = _CLAUSE_END.search(query, m.end())
        for body in _MAP.findall(query[m.end() : end.start() if end else len(query)]):
            out += [f"{key}: {expr}" for key, expr in _items(body) if not known(expr)]
    return out


def _stored(key: str, values: list[Any], text: str) -> list[Violation]:
    out = []
    for value in values:
        if value is UNKNOWN:
            continue
        problem = stored_value_problem(key, value)
        if problem:
            out.append(Violation("property Neo4j cannot store", f"{problem} in {_head(text)}"))
    return out


def _split_set(items: str) -> list[str]:
    depth, start, parts = 0, 0, []
    for i, c in enumerate(items):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(items[start:i])
            start = i + 1
    parts.append(items[start:])
    return [p.strip() for p in parts if p.strip()]


def _set_item(item: str) -> tuple[str, str, str]:
    m = re.match(r"([\w.]+)\s*(\+=|=)\s*(.*)$", item, re.DOTALL)
    if not m:
        return item, "", ""  # SET n:Label
    return m.group(1), m.group(2), m.group(3).strip()


def _head(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if not line.lstrip().startswith("//")]
    return repr(" ".join(lines)[:120])


def _unique(found: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(found))


def stored_graph_problems(rows: Iterable[Mapping[str, Any]]) -> list[Violation]:
    """Rows of (what, props) scanned after a test: stored values Neo4j could not hold."""
    out = []
    for row in rows:
        for key, value in (row["props"] or {}).items():
            problem = stored_value_problem(key, value)
            if problem:
                what = f"{row['what']}: {problem}"
                out.append(Violation("stored property Neo4j cannot hold", what))
    return out
