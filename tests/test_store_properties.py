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
    positional_rows,
    property_writes,
    row_fields,
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


# -- rows of any batched write, by position --------------------------------------------------

UPSERT = (
    "UNWIND $rows AS row\n"
    f"MERGE (n:{LABEL} {{probeId: row.k}})\n"
    "SET n.a = row.a, n.b = coalesce(row.b, 'none'), n.at = row.at\n"
    "SET n += row.props"
)
LINK = (
    "UNWIND $rows AS row\n"
    f"MATCH (n:{LABEL} {{probeId: row.k}})\n"
    f"MERGE (m:{LABEL} {{probeId: row.other}})\n"
    "MERGE (n)-[r:PROBED]->(m)\n"
    "SET r.at = row.at, r.w = row.w"
)


def test_a_statement_that_reads_its_rows_by_field_is_rewritten_by_position() -> None:
    rows = [{"k": f"k{i}", "a": i, "at": "2026-01-01", "props": {"x": i}} for i in range(16)]
    text, params = positional_rows(UPSERT, {"rows": rows, "other": 1}) or ("", {})
    assert text == (
        "UNWIND $rows AS row\n"
        f"MERGE (n:{LABEL} {{probeId: row[0]}})\n"
        "SET n.a = row[1], n.b = coalesce($rowsShared2, 'none'), n.at = $rowsShared3\n"
        "SET n += row[2]"
    )
    assert params == {
        "other": 1,
        "rowsShared2": None,  # no row has b: null in every row
        "rowsShared3": "2026-01-01",
        "rows": [[f"k{i}", i, {"x": i}] for i in range(16)],
    }


@pytest.mark.parametrize(
    "text",
    [
        "UNWIND $rows AS row WITH row MATCH (n {k: row.k}) SET n.a = row.a",  # passed on whole
        "UNWIND $rows AS row MATCH (n {k: row.k}) SET n += properties(row)",
        "UNWIND $rows AS row MATCH (n {k: row.k}) SET n.a = 'row.a'",  # a field in a string
        "UNWIND $rows AS row MATCH (n {k: row.k}) SET n.a = row.a // row.b",  # in a comment
        "UNWIND $rows AS row UNWIND $rows AS other MATCH (n {k: row.k}) SET n.a = other.a",
        "UNWIND $rows AS row MATCH (n {k: row.k}) SET n.a = row['a']",
        "UNWIND $rows AS row MATCH (n {k: row.k}) SET n.a = $rowsShared0",
    ],
)
def test_a_statement_that_uses_its_rows_otherwise_is_sent_as_it_is(text: str) -> None:
    rows = [{"k": f"k{i}", "a": i} for i in range(20)]
    assert positional_rows(text, {"rows": rows, "rowsShared0": 1}) is None


def test_a_field_of_another_variable_with_the_rows_name_is_not_taken() -> None:
    text = "UNWIND $rows AS row MATCH (n {k: row.k}) SET n.a = n.row.a, n.b = $row.b"
    assert row_fields(text) == ("row", ("k",))


def test_few_rows_or_rows_that_are_not_maps_are_sent_as_they_are() -> None:
    assert positional_rows(UPSERT, {"rows": [{"k": "a"}] * (POSITIONAL_MIN - 1)}) is None
    assert positional_rows(UPSERT, {"rows": [["k", 1]] * POSITIONAL_MIN}) is None


def test_rows_whose_every_field_is_shared_still_count_one_each() -> None:
    _, params = positional_rows(LINK, {"rows": [{"k": "a", "other": "b"}] * 16}) or ("", {})
    assert params["rows"] == [[]] * 16


LINK_ROWS = st.lists(
    st.fixed_dictionaries(
        {"k": st.sampled_from(NODES[:6]), "other": st.sampled_from(NODES[:30])},
        optional={"at": st.sampled_from(["t1", "t2"]), "w": VALUE},
    ),
    max_size=40,
)
UPSERT_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "k": st.sampled_from(NODES),
            "props": st.dictionaries(st.sampled_from(["a", "c", "d"]), VALUE, max_size=3),
        },
        optional={"a": VALUE, "b": VALUE, "at": st.sampled_from(["t1", "t1", "t2"])},
    ),
    max_size=40,
)


def _graph(store: GraphStore) -> tuple[dict[str, dict[str, Any]], list[tuple[Any, ...]]]:
    edges, _ = store.run_text(
        f"MATCH (n:{LABEL})-[r:PROBED]->(m:{LABEL}) "
        "RETURN n.probeId AS a, m.probeId AS b, properties(r) AS p",
        write=False,
    )
    return _nodes(store), sorted((e["a"], e["b"], sorted(e["p"].items())) for e in edges)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(upserts=UPSERT_ROWS, links=LINK_ROWS)
def test_rows_by_position_leave_the_graph_as_rows_of_maps_do(
    store: GraphStore, upserts: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    def write(text: str, rows: list[dict[str, Any]], by_position: bool) -> None:
        params: dict[str, Any] = {"rows": rows}
        if by_position and (rewritten := positional_rows(text, params)):
            text, params = rewritten
        store.run_text(text, params, write=True)

    seen = []
    for by_position in (False, True):
        _reset(store)
        write(UPSERT, upserts, by_position)
        write(LINK, links, by_position)
        seen.append(_graph(store))
    assert seen[1] == seen[0]
