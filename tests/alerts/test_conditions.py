"""Conditions on one metric change: above, below, crosses, change by per cent, consecutive
periods; and the collection filters."""

from __future__ import annotations

import pytest

from app.alerts.conditions import condition_met, passes
from app.alerts.rules import parse_rule
from tests.alerts.conftest import change


def rule(condition: str, threshold: float, **extra):
    return parse_rule(
        {"name": "r", "metric": "m", "condition": condition, "threshold": threshold, **extra}
    )


@pytest.mark.parametrize(
    ("condition", "value", "expected"),
    [("above", 11, True), ("above", 10, False), ("below", 9.5, True), ("below", 10, False)],
)
def test_above_and_below_are_strict(condition, value, expected):
    assert condition_met(rule(condition, 10), change("m", value)) is expected


@pytest.mark.parametrize(
    ("direction", "previous", "value", "expected"),
    [
        ("any", 9, 11, True),
        ("any", 11, 9, True),
        ("any", 10, 11, True),  # from the line upwards
        ("any", 11, 12, False),  # stays above
        ("any", 9, 10, False),  # reaches the line, not over it
        ("up", 11, 9, False),
        ("up", 9, 11, True),
        ("down", 9, 11, False),
        ("down", 11, 9, True),
        ("any", None, 11, False),  # nothing to cross from
    ],
)
def test_crosses(direction, previous, value, expected):
    r = rule("crosses", 10, direction=direction)
    assert condition_met(r, change("m", value, previous)) is expected


@pytest.mark.parametrize(
    ("direction", "previous", "value", "expected"),
    [
        ("any", 100, 150, True),
        ("any", 100, 50, True),
        ("any", 100, 149, False),
        ("up", 100, 50, False),
        ("down", 100, 50, True),
        ("down", -100, -200, True),  # a negative metric falling by 100 %
        ("any", 0, 50, False),  # no per cent of zero
        ("any", None, 50, False),
    ],
)
def test_change_by_percent(direction, previous, value, expected):
    r = rule("change_pct", 50, direction=direction)
    assert condition_met(r, change("m", value, previous)) is expected


def test_consecutive_periods_need_every_one_of_the_last_n():
    r = rule("above", 1.0, **{"for": 3})
    assert condition_met(r, change("m", 1.5, history=(0.2, 1.1, 1.2, 1.5)))
    assert not condition_met(r, change("m", 1.5, history=(1.1, 0.9, 1.5)))
    assert not condition_met(r, change("m", 1.5, history=(1.1, 1.5)))  # too short
    assert not condition_met(r, change("m", 1.5))  # no history kept
    # a history that does not end with the value gets it appended
    assert condition_met(r, change("m", 1.5, history=(1.1, 1.2)))
    assert not condition_met(r, change("m", 1.5, history=(1.1, None, 1.5)))


def test_non_numeric_values_never_fire():
    for value in ("high", True, None, float("nan")):
        assert not condition_met(rule("above", -1e9), change("m", value))


def test_filters():
    r = parse_rule(
        {
            "name": "r",
            "metric": "m",
            "condition": "above",
            "threshold": 0,
            "scope": {
                "where": [
                    {"property": "dna_segment", "op": "in", "value": ["gold", "silver"]},
                    {"property": "dna_tenure", "op": "ge", "value": 2},
                    {"property": "city", "op": "ne", "value": "Leeds"},
                ]
            },
        }
    )
    assert passes(r, {"dna_segment": "gold", "dna_tenure": 2, "city": "York"})
    assert passes(r, {"dna_segment": "silver", "dna_tenure": 2.5})
    assert not passes(r, {"dna_segment": "bronze", "dna_tenure": 5})
    assert not passes(r, {"dna_segment": "gold", "dna_tenure": 1})
    assert not passes(r, {"dna_segment": "gold", "dna_tenure": "many"})
    assert not passes(r, {"dna_segment": "gold", "dna_tenure": 3, "city": "Leeds"})
    assert not passes(r, None)
