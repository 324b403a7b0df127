"""The store's last check of a query's parameters (app/values.py, parameter_problem) finds a
problem exactly when some value anywhere in them has one: a text with a NUL byte, a float
that is not a finite number, or, in a write, an unusable key under a key property's name.
Compared with the rule written plainly, on generated nested parameters."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.values import key_problem, parameter_problem

KEYS = frozenset({"customerId", "email"})
NAMES = st.sampled_from(["customerId", "email", "props", "rows", "text", "values"])
TEXTS = st.sampled_from(["C1", "a@b.c", "", " C1", "x\x00y", "ok", "tab\there"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)
)
NUMBERS = st.one_of(SCALARS, st.sampled_from([math.nan, math.inf, -math.inf]))
VALUES = st.recursive(
    st.one_of(NUMBERS, TEXTS),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(NAMES, inner, max_size=4),
    ),
    max_leaves=20,
)
PARAMS = st.dictionaries(NAMES, VALUES, max_size=4)


def leaves(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every text and float in a value with the name it is passed under (a list's items: the
    list's)."""
    if isinstance(value, str | float):
        yield name, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(k, v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from leaves(name, v)


def problems(params: dict[str, Any], write: bool) -> set[str]:
    out = set()
    for name, text in leaves("", params):
        if isinstance(text, float):
            if not math.isfinite(text):
                out.add(f"{name}: {text} is not a finite number")
        elif write and name in KEYS:
            if problem := key_problem(text):
                out.add(f"{name}: {problem}")
        elif "\x00" in text:
            out.add(f"{name}: contains a NUL byte")
    return out


@settings(max_examples=500, deadline=None)
@given(PARAMS, st.booleans())
def test_a_problem_is_found_exactly_when_some_value_has_one(
    params: dict[str, Any], write: bool
) -> None:
    assert (parameter_problem(params, KEYS, write) is None) == (not problems(params, write))


CLEAN_TEXTS = st.sampled_from(["C1", "a@b.c", "ok", "two words"])
CLEAN = st.dictionaries(
    NAMES,
    st.recursive(
        st.one_of(SCALARS, CLEAN_TEXTS),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(NAMES, inner)),
        max_leaves=12,
    ),
    max_size=4,
)


@st.composite
def one_bad_value(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """Parameters whose values are all usable but one (a text with a NUL byte or a float that
    is not finite under any name, or in a write an unusable key under a key's name), placed
    at the top, in a list or in a row of a list of rows; and whether they are a write's."""
    params = draw(CLEAN)
    kind = draw(st.sampled_from(["nul", "number", "key"]))
    if kind == "nul":
        name, bad, write = draw(NAMES), "x\x00y", draw(st.booleans())
    elif kind == "number":
        name, write = draw(NAMES), draw(st.booleans())
        bad = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    else:
        name = draw(st.sampled_from(sorted(KEYS)))
        bad, write = draw(st.sampled_from(["", " C1", "tab\there"])), True
    where = draw(st.sampled_from(["top", "list", "row"]))
    if where == "top":
        params[name] = bad
    elif where == "list":
        params[name] = [*draw(st.lists(st.one_of(CLEAN_TEXTS, SCALARS), max_size=3)), bad]
    else:
        params["rows"] = [*draw(st.lists(CLEAN, max_size=2)), {name: bad}]
    return params, write


@settings(max_examples=500, deadline=None)
@given(one_bad_value())
def test_the_problem_found_is_the_one_the_parameters_have(
    case: tuple[dict[str, Any], bool],
) -> None:
    """Where the parameters hold one problem, that is what the check reports. (With several,
    which comes first depends on where they sit, and any of them refuses the query.)"""
    params, write = case
    [expected] = problems(params, write)
    assert parameter_problem(params, KEYS, write) == expected


def test_texts_in_lists_of_rows_are_checked() -> None:
    rows = [{"customerId": "C1", "props": {"ht": ["2026", "x\x00"], "hv": [1.5, None]}}]
    assert parameter_problem({"rows": rows}, KEYS, True) == "ht: contains a NUL byte"
    assert parameter_problem({"rows": [{"customerId": [" C2"]}]}, KEYS, True) == (
        "customerId: starts or ends with white space"
    )
