"""How a metric lives on its node: properties named from a fixed prefix, a bounded history
as two parallel lists, and a trend over that history.

For a metric `spend90d`:
  dna_spend90d         the value (absent when it has none, e.g. an average of nothing)
  dna_spend90d_at      when the value last changed (ISO 8601 UTC); a value that went away
                       keeps the time of the last value
  dna_spend90d_ht      history times, oldest first (ISO 8601 UTC), written once the value
                       has changed: until then the history is one point, the value at
                       dna_spend90d_at (a metric's first value costs the store two scalars,
                       not two lists: docs/metrics.md)
  dna_spend90d_hv      history values (numbers as floats, text as text)
  dna_spend90d_slope   least-squares slope of the history, per day (numbers only)
  dna_spend90d_pct     percent change from the first to the last history value
  dna_spend90d_ver     model metrics: the version of the model that scored it
  dna_spend90d_hc      history causes, beside the times: "data" (interactions, a metrics
                       run) or "identity:<auditId>" (the profile's records changed: a
                       steward's decision, merge or split, an upsert; the audit event says
                       which). Absent while every point is "data"; shorter than the times
                       for points written before it existed, which were "data".

Nodes written before dna_<name>_at existed hold a one-point history as lists and no time of
their own; they are read the same way, and their next change writes the time.

A history point is added when the value changes (in a batch run or on an event), so the
history is the metric's last N distinct values with the time each took effect."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from app.metrics.changes import MetricChange, Value
from app.store.base import safe_identifier

PREFIX = "dna_"
SUFFIXES = ("at", "ht", "hv", "slope", "pct", "ver", "hc")
DATA = "data"  # the cause of a change that is behaviour (MetricChange.cause)


@cache
def prop(name: str, suffix: str = "") -> str:
    """The property key of a metric (or of one of its companions)."""
    return safe_identifier(f"{PREFIX}{name}_{suffix}" if suffix else f"{PREFIX}{name}")


def iso(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(t: str) -> float:
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def history_value(v: Value) -> float | str:
    """Lists on the node hold one type (Neo4j's rule): numbers and booleans as floats."""
    return v if isinstance(v, str) else float(v)  # type: ignore[arg-type]


def trend(times: list[str], values: list[Any]) -> tuple[float | None, float | None]:
    """(slope per day, percent change first -> last) of a numeric history; None without two
    numeric points (pct also when the first value is 0)."""
    if len(values) < 2 or not all(_number(v) for v in values):
        return None, None
    pts = [(_parse(t) / 86400.0, float(v)) for t, v in zip(times, values, strict=False)]
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else None
    first, last = pts[0][1], pts[-1][1]
    pct = (last - first) / abs(first) * 100.0 if first != 0 else None
    return (
        None if slope is None else round(slope, 6),
        None if pct is None else round(pct, 4),
    )


STATE = "dnaState"  # JSON of every metric's current value and model version (see below)


@dataclass(frozen=True)
class Stored:
    """What a node holds of one metric."""

    value: Value
    times: list[str]
    values: list[Any]
    slope: float | None = None
    pct: float | None = None
    version: str | None = None
    causes: list[str] = field(default_factory=list)  # see the module's docstring

    def point_causes(self) -> list[str]:
        """One cause per history point (points older than the causes list were data)."""
        if not self.times:
            return []
        return [DATA] * (len(self.times) - len(self.causes)) + self.causes[-len(self.times) :]

    @property
    def at(self) -> str | None:
        """When the value last changed (to a value; a value that went away keeps its time)."""
        return self.times[-1] if self.times else None

    @classmethod
    def of(cls, name: str, props: Mapping[str, Any]) -> Stored:
        """From a node's properties (the value, its time and the lists of the history, each
        as far as the node has them)."""
        value = props.get(prop(name))
        times = list(props.get(prop(name, "ht")) or [])
        values = list(props.get(prop(name, "hv")) or [])
        at = props.get(prop(name, "at"))
        if not times and at is not None and value is not None:  # the value has not changed
            times, values = [at], [history_value(value)]
        return cls(
            value=value,
            times=times,
            values=values,
            slope=props.get(prop(name, "slope")),
            pct=props.get(prop(name, "pct")),
            version=props.get(prop(name, "ver")),
            causes=list(props.get(prop(name, "hc")) or []),
        )


@dataclass
class State:
    """Every metric's current value, model version and whether it has a history, on one
    node, kept as one JSON text
    (`dnaState`) beside the metric properties: a batch compares 100k profiles' new values
    against one property each instead of reading every metric property (parsing each value
    costs the FalkorDB client microseconds). The dna_ properties remain the record."""

    values: dict[str, Value]
    versions: dict[str, str]
    history: list[str]  # metrics with history points, sorted: only theirs are read on a change

    @classmethod
    def parse(cls, text: Any) -> State:
        if not isinstance(text, str) or not text:
            return cls({}, {}, [])
        raw = json.loads(text)
        values = dict(raw.get("v", {}))
        history = raw.get("h", [])
        if isinstance(history, str):  # a flag per value, in the values' order
            history = sorted(n for n, flag in zip(values, history, strict=True) if flag == "1")
        return cls(values, dict(raw.get("ver", {})), list(history))

    def dump(self) -> str:
        """The JSON text. Which metrics have a history is a string of flags ("1" or "0") in
        the order of the values, where every such metric has a value entry (the usual case:
        a name each is ~180 of a profile's ~830 bytes); else the sorted names."""
        held = set(self.history)
        history: str | list[str] = sorted(held)
        if held <= self.values.keys():
            history = "".join("1" if n in held else "0" for n in self.values)
        doc = {"v": self.values, "ver": self.versions, "h": history}
        return json.dumps(doc, separators=(",", ":"))


def same(a: Value, b: Value) -> bool:
    if _number(a) and _number(b):
        return float(a) == float(b)  # type: ignore[arg-type]
    return type(a) is type(b) and a == b


@lru_cache(maxsize=4096)  # a batch's millions of changes share one cause
def split_cause(cause: str) -> tuple[str, str | None]:
    """("identity", "AU-...") from "identity:AU-..."; ("data", None) from "data"."""
    kind, _, ref = cause.partition(":")
    return kind, ref or None


def first(
    label: str, entity_id: str, name: str, value: Value, at: str, cause: str = DATA
) -> tuple[dict[str, Any], MetricChange | None]:
    """update() for a metric with no value and no history yet: `first_props` and
    `first_change`, nothing for no value."""
    if value is None:
        return {}, None
    return first_props(name, value, at, cause), first_change(
        label, entity_id, name, value, at, cause
    )


def first_props(name: str, value: Value, at: str, cause: str = DATA) -> dict[str, Any]:
    """The properties of a metric's first value (not None) at time `at`: the value and its
    time, a one-point history without lists, no trend (a batch's first run writes millions of
    these)."""
    props: dict[str, Any] = {prop(name): value, prop(name, "at"): at}
    if cause != DATA:
        props[prop(name, "hc")] = [cause]
    return props


def first_change(
    label: str, entity_id: str, name: str, value: Value, at: str, cause: str = DATA
) -> MetricChange:
    """The change a metric's first value (not None) makes."""
    kind, ref = split_cause(cause)
    return MetricChange(label, entity_id, name, None, value, at, (history_value(value),), kind, ref)


def update(
    label: str,
    entity_id: str,
    name: str,
    old: Stored,
    value: Value,
    at: str,
    keep: int,
    cause: str = DATA,
) -> tuple[dict[str, Any], MetricChange | None]:
    """The properties to set for a new value at time `at` (ISO) caused by `cause`, and the
    change (None when it did not change). Trend properties are only sent when there is one
    or was one; causes only once a point was not caused by data."""
    if old.value is None and not old.values:
        return first(label, entity_id, name, value, at, cause)
    props: dict[str, Any] = {}
    if same(old.value, value):
        return props, None
    props[prop(name)] = value
    times, values = old.times, old.values
    if value is None and times:  # the history stays: as lists, where it was one point
        props |= {prop(name, "ht"): times, prop(name, "hv"): values}
    if value is not None:
        props[prop(name, "at")] = at
        point = history_value(value)
        if values and isinstance(values[-1], str) != isinstance(point, str):
            times, values = [], []  # the metric changed type: a new history
        causes = old.point_causes() if len(times) == len(old.times) else []
        causes = [DATA] * (len(times) - len(causes)) + causes
        times, values = [*times, at][-keep:], [*values, point][-keep:]
        slope, pct = trend(times, values)
        props |= {prop(name, "ht"): times, prop(name, "hv"): values}
        if old.causes or cause != DATA:
            props[prop(name, "hc")] = [*causes, cause][-keep:]
        if slope is not None or pct is not None or len(old.values) > 1:
            props |= {prop(name, "slope"): slope, prop(name, "pct"): pct}
    change = MetricChange(
        label=label,
        entity_id=entity_id,
        metric=name,
        previous=old.value,
        value=value,
        at=at,
        history=tuple(values) if value is not None else (),
        cause=split_cause(cause)[0],
        cause_id=split_cause(cause)[1],
    )
    return props, change
