"""Setting properties by position (app/store/properties.py): the forms a batch is sent in,
and that every form leaves each node as `SET n += props` does, on both stores."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.store import GraphStore
from app.store.properties import (
    POSITIONAL_MIN,
    WINDOW_BATCHES,
    map_query,
    property_writes,
    shared_value,
)

LABEL = "PropertyProbe"
NODES = [f"k{i:02d}" for i in range(60)]


def test_a_group_of_rows_setting_the_same_names_goes_by_position() -> None:
    rows = [(f"k{i}", {"v": float(i), "at": ["2026-01-01T00:00:00Z"]}) for i in range(16)]
    [write] = property_writes("probe", LABEL, "probeId", rows, 100)
    assert write.text == (
        f"UNWIND $rows AS row\nMATCH (n:{LABEL} {{probeId: row[0]}})\nSET n.at = $c0, n.v = row[1]"
    )
    assert write.params == {
        "c0": ["2026-01-01T00:00:00Z"],
        "rows": [[f"k{i}", float(i)] for i in range(16)],
    }
    assert write.count == 16
    assert write.keys == [f"k{i}" for i in range(16)]


def test_a_smaller_group_goes_as_maps_in_the_order_given() -> None:
    rows = [(f"k{i}", {"v": i}) for i in range(POSITIONAL_MIN - 1)] + [("x", {"w": None})]
    [write] = property_writes("probe", LABEL, "probeId", rows, 100)
    assert write.text == map_query("probe", LABEL, "probeId")
    assert write.params == {"rows": [{"probeId": k, "props": p} for k, p in rows]}
    assert write.keys is None


def test_batches_hold_at_most_the_batch_size_and_rows_without_properties_are_left_out() -> None:
    rows = [(f"k{i}", {"v": i}) for i in range(40)] + [("empty", {})]
    writes = list(property_writes("probe", LABEL, "probeId", rows, 16))
    assert [w.count for w in writes] == [16, 16, 8]
    assert [r[0] for w in writes for r in w.params["rows"]] == [f"k{i}" for i in range(40)]


def test_a_key_seen_again_is_written_after_its_first_row() -> None:
    rows = [(f"k{i}", {"v": i}) for i in range(20)] + [("k3", {"v": "again"})]
    writes = list(property_writes("probe", LABEL, "probeId", rows, 100))
    assert [w.count for w in writes] == [20, 1]
    assert writes[1].params == {"rows": [{"probeId": "k3", "props": {"v": "again"}}]}


def test_a_window_holds_a_bounded_number_of_rows() -> None:
    rows = [(f"k{i}", {"v": i}) for i in range(WINDOW_BATCHES * 20 + 5)]
    writes = list(property_writes("probe", LABEL, "probeId", rows, 20))
    assert [w.count for w in writes] == [20] * WINDOW_BATCHES + [5]  # the last window: maps
    assert writes[-1].keys is None


@pytest.mark.parametrize(
    ("values", "shared"),
    [
        (["a", "a"], True),
        ([3, 3], True),
        ([True, True], True),
        ([None, None], True),
        ([["t1", "t2"], ["t1", "t2"]], True),
        ([1, True], False),  # equal in Python, not the same value
        ([1, 1.0], False),
        ([0.5, 0.5], False),  # floats are never taken as shared
        ([[1], [1]], False),  # only lists of texts
        ([["a"], ("a",)], False),
        (["a", "b"], False),
        (["a"], True),
    ],
)
def test_shared_values_are_exactly_the_same(values: list[Any], shared: bool) -> None:
    assert shared_value(values) is shared


TEXT = st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=4)
VALUE = st.one_of(
    st.none(),
    st.sampled_from(["x", 'q"uo\\te', 7, True, ["t1", "t2"], 0.25]),  # often shared
    TEXT,
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(TEXT, max_size=3),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=3),
)
SIGNATURES = st.sampled_from([("a", "b"), ("a", "b", "c"), ("c",), ("a", "d")])


@st.composite
def property_rows(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """Rows in a few groups by the names they set (groups of POSITIONAL_MIN or more go by
    position), each name's value the same in every row of its group or drawn per row;
    either every key once, or a few keys again and again."""
    if draw(st.booleans()):
        count = draw(st.sampled_from([0, 3, 20, 60]))
        keys = draw(st.permutations(NODES))[:count]
    else:
        keys = draw(st.lists(st.sampled_from(NODES[:8]), max_size=24))
    kinds = draw(st.lists(SIGNATURES, min_size=1, max_size=2))
    fixed = [
        {n: draw(st.one_of(st.just(FREE), VALUE.map(lambda v: (v,)))) for n in names}
        for names in kinds
    ]
    rows = []
    for i, key in enumerate(keys):
        kind = fixed[i % len(kinds)]
        rows.append((key, {n: draw(VALUE) if f is FREE else f[0] for n, f in kind.items()}))
    return rows


FREE = object()  # a value drawn for each row


def _reset(store: GraphStore) -> None:
    store.run_text(f"MATCH (n:{LABEL}) DETACH DELETE n", write=True)
    store.run_text(
        f"UNWIND $keys AS k CREATE (n:{LABEL}) SET n.probeId = k, n.a = 'before'",
        {"keys": NODES},
        write=True,
    )


def _nodes(store: GraphStore) -> dict[str, dict[str, Any]]:
    rows, _ = store.run_text(
        f"MATCH (n:{LABEL}) RETURN n.probeId AS k, properties(n) AS p", write=False
    )
    return {r["k"]: r["p"] for r in rows}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=property_rows())
def test_every_form_leaves_each_node_as_a_map_of_its_properties_does(
    store: GraphStore, rows: list[tuple[str, dict[str, Any]]]
) -> None:
    _reset(store)
    for key, props in rows:  # one at a time, in order: what the rows mean
        store.run_text(
            map_query("probe", LABEL, "probeId"),
            {"rows": [{"probeId": key, "props": props}]},
            write=True,
        )
    expected = _nodes(store)
    _reset(store)

    store.set_properties("probe", LABEL, "probeId", rows, batch_size=7)

    assert _nodes(store) == expected


def test_a_bad_key_is_refused_in_either_form(store: GraphStore) -> None:
    many = [(f"k{i}", {"v": i}) for i in range(POSITIONAL_MIN)] + [("bad\x00key", {"v": 1})]
    with pytest.raises(Exception, match="NUL"):
        store.set_properties("probe", LABEL, "probeId", many, batch_size=100)
