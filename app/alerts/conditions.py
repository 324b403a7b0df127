"""Pure checks: does a metric change meet a rule's condition, does an entity pass a scope's
filters. No store, no clock: the engine calls these for every change, so they stay cheap."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from app.alerts.rules import AlertRule, Filter
from app.metrics.changes import MetricChange


def number(value: object) -> float | None:
    """A metric value as a float; None for text, booleans, missing and NaN values."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _last(change: MetricChange, n: int) -> list[float | None]:
    history = list(change.history)
    if not history or history[-1] != change.value:  # history should end with value
        history.append(change.value)
    return [number(v) for v in history[-n:]] if len(history) >= n else []


def condition_met(rule: AlertRule, change: MetricChange) -> bool:
    """above/below: the value (and the previous `for - 1` history values) beyond the threshold.
    crosses: previous on one side (or on the line), value strictly on the other.
    change_pct: |value - previous| / |previous| at least threshold per cent (previous not 0)."""
    value = number(change.value)
    if value is None:
        return False
    t = rule.threshold
    if rule.condition == "above" or rule.condition == "below":
        above = rule.condition == "above"
        values = [value] if rule.periods == 1 else _last(change, rule.periods)
        return bool(values) and all(v is not None and (v > t if above else v < t) for v in values)
    previous = number(change.previous)
    if previous is None:
        return False
    if rule.condition == "crosses":
        up = previous <= t < value
        down = previous >= t > value
        return up if rule.direction == "up" else down if rule.direction == "down" else up or down
    # change_pct
    if previous == 0:
        return False
    pct = (value - previous) / abs(previous) * 100.0
    if rule.direction == "up":
        return pct >= t
    if rule.direction == "down":
        return -pct >= t
    return abs(pct) >= t


def _compare(f: Filter, actual: Any) -> bool:
    if f.op == "in":
        assert isinstance(f.value, tuple)
        return any(_equal(actual, v) for v in f.value)
    if f.op == "eq":
        return _equal(actual, f.value)
    if f.op == "ne":
        return not _equal(actual, f.value)
    a, b = number(actual), number(f.value)
    if a is None or b is None:  # order comparisons only between numbers
        if isinstance(actual, str) and isinstance(f.value, str):
            a_s, b_s = actual, f.value
            return {"gt": a_s > b_s, "ge": a_s >= b_s, "lt": a_s < b_s, "le": a_s <= b_s}[f.op]
        return False
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[f.op]


def _equal(actual: Any, expected: Any) -> bool:
    a, b = number(actual), number(expected)
    if a is not None and b is not None:
        return a == b
    return bool(actual == expected) and type(actual) is type(expected)


def passes(rule: AlertRule, props: Mapping[str, Any] | None) -> bool:
    """Whether an entity with these properties is in the rule's collection (all filters);
    an entity that is not in the graph is in no collection."""
    if props is None:
        return False
    return all(_compare(f, props.get(f.property)) for f in rule.scope.where)
