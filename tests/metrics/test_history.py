"""A metric's history on its node (app/metrics/storage.py): whatever sequence of values a
metric takes, what a reader gets back from the node's properties is the history the rule
states (the last N distinct values, each with its time and cause; a value that goes away
adds no point and keeps the history), however the node holds it: a first value as the value
and its time, longer histories as lists, and nodes written before the time existed."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.metrics.storage import DATA, Stored, history_value, prop, same, trend, update
from tests.writes import after_set

VALUES = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 2)),
    st.sampled_from(["web", "store"]),
)
CAUSES = st.sampled_from([DATA, DATA, "identity:AU-1", "identity:AU-2"])
Point = tuple[str, Any, str]  # time, value as the history holds it, cause


def _time(step: int) -> str:
    return f"2026-03-{1 + step // 24:02d}T{step % 24:02d}:00:00Z"


def _expected(points: list[Point], value: Any, new: Any, at: str, cause: str, keep: int):
    """The rule, on a plain list of points."""
    if same(value, new):
        return points, value
    if new is None:
        return points, None
    point = history_value(new)
    if points and isinstance(points[-1][1], str) != isinstance(point, str):
        points = []  # a metric that changed type starts a new history
    return [*points, (at, point, cause)][-keep:], new


def _check(node: dict[str, Any], points: list[Point], value: Any, timed: bool) -> None:
    """`timed`: the node has had a value written since the time property existed."""
    got = Stored.of("m", node)
    assert node.get(prop("m", "at")) == (points[-1][0] if timed else None)
    assert got.value == value
    assert got.times == [t for t, _, _ in points]
    assert got.values == [v for _, v, _ in points]
    assert got.point_causes() == [c for _, _, c in points]
    assert got.at == (points[-1][0] if points else None)
    if len(points) >= 2:
        assert got.slope == trend(got.times, got.values)[0]
    else:
        assert got.slope is None


@given(
    steps=st.lists(st.tuples(VALUES, CAUSES), max_size=12),
    keep=st.integers(1, 4),
    written_before=st.booleans(),
)
def test_the_history_read_back_is_the_rule_whatever_the_sequence(
    steps: list[tuple[Any, str]], keep: int, written_before: bool
) -> None:
    node: dict[str, Any] = {}
    points: list[Point] = []
    value: Any = None
    timed = False
    if written_before:  # a node of an earlier version: a one-point history as lists, no time
        node = {prop("m"): 7, prop("m", "ht"): [_time(0)], prop("m", "hv"): [7.0]}
        points, value = [(_time(0), 7.0, DATA)], 7
    for k, (new, cause) in enumerate(steps, start=1):
        at = _time(k)
        props, change = update("Profile", "PR-1", "m", Stored.of("m", node), new, at, keep, cause)
        points, was = _expected(points, value, new, at, cause, keep)
        assert (change is None) == same(value, new)
        if change is not None and new is not None:
            assert change.history == tuple(v for _, v, _ in points)
        value = was
        timed = timed or (change is not None and new is not None)
        node = after_set(node, props)
        _check(node, points, value, timed)


def test_a_first_value_is_two_scalars_and_a_second_brings_the_lists() -> None:
    node: dict[str, Any] = {}
    props, _ = update("Profile", "PR-1", "m", Stored.of("m", node), 3, _time(1), 12)
    assert props == {prop("m"): 3, prop("m", "at"): _time(1)}
    node = after_set(node, props)
    props, _ = update("Profile", "PR-1", "m", Stored.of("m", node), 5, _time(2), 12)
    assert props[prop("m", "ht")] == [_time(1), _time(2)]
    assert props[prop("m", "hv")] == [3.0, 5.0]
    assert props[prop("m", "at")] == _time(2)


def test_a_first_value_that_goes_away_leaves_its_point_as_lists() -> None:
    node = {prop("m"): "web", prop("m", "at"): _time(1)}
    props, change = update("Profile", "PR-1", "m", Stored.of("m", node), None, _time(2), 12)
    assert props == {prop("m"): None, prop("m", "ht"): [_time(1)], prop("m", "hv"): ["web"]}
    assert change is not None and change.previous == "web" and change.history == ()
