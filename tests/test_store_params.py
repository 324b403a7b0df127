"""Query parameters as FalkorDB's text header (app/store/falkordb_wire.py, params_header):
lists go as their JSON text where that reads back the same, everything else as the client
writes it, and either way the server reads back what the client's own header gives it."""

from __future__ import annotations

from datetime import date
from typing import Any

from falkordb.helpers import stringify_param_value
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.store import GraphStore
from app.store.falkordb_wire import holds_only_lists, parameter_text, params_header

TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
SCALARS = st.one_of(
    TEXTS,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
KEYS = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,6}", fullmatch=True)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=25,
)


def read_back(store: GraphStore, header: str) -> Any:
    done = store._execute(header, "RETURN $x", write=False)  # type: ignore[attr-defined]
    return done.rows[0][0]


def client_header(value: Any) -> str:
    return f"CYPHER `x`={stringify_param_value(value)} "


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.lists(VALUES, max_size=6))
@example(value=[["\x01ctrl", "\x1f"], "a\\u0041"])
@example(value=[["k", 1e16, 1.5e-07, -0.0, [True, None, ["deep"]]]])
@example(value=[{"props": {"a": 1}}, ["x"]])
def test_a_list_reads_back_as_the_clients_header_gives_it(
    falkor_store: GraphStore, value: list[Any]
) -> None:
    assert read_back(falkor_store, params_header({"x": value})) == read_back(
        falkor_store, client_header(value)
    )


def test_rows_of_scalars_and_lists_go_as_json() -> None:
    rows = [
        ["k1", 1.5, [2.0, 3], True, None, 'a "quoted" \\ text\n', "{not a map"],
        ["k2", 7, [], False, "", "é", '{"v":1}'],
    ]
    assert parameter_text(rows) == (
        '[["k1",1.5,[2.0,3],true,null,"a \\"quoted\\" \\\\ text\\n","{not a map"],'
        '["k2",7,[],false,"","é","{\\"v\\":1}"]]'
    )
    assert params_header({"rows": rows, "at": "t"}) == (
        f'CYPHER `rows`={parameter_text(rows)} `at`="t" '
    )


def test_what_json_would_write_otherwise_goes_as_the_client_writes_it() -> None:
    cases = {
        "a map": [["k", {"a": 1}]],
        "an empty map deep down": [["k", [[{}]]]],
        "a control character": [["k", "bell\x07"]],
        "an escape-like text": [["k", "a\\u0041"]],
        "an integer beyond 64 bits": [["k", 2**70]],
        "a date": [["k", date(2026, 1, 2)]],
    }
    for what, value in cases.items():
        assert parameter_text(value) == stringify_param_value(value), what
    assert parameter_text([None, [None], "null", "{}"]) == '[null,[null],"null","{}"]'
    assert holds_only_lists([[1, ["a", [2.0]]], "{}"])
    assert not holds_only_lists([[1, ["a", [{}]]]])
    assert parameter_text("a text") == stringify_param_value("a text") == '"a text"'
    assert parameter_text(3) == "3"
