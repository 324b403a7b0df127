"""The checker of rules Neo4j enforces (tests/neo4j_rules.py), which guards every query the
suite runs: it flags what Neo4j refuses and lets the rest through."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.store.base import CYPHER_DIR
from app.store.properties import positional_query
from tests.neo4j_rules import check, stored_value_problem, strip, unchecked_merge_keys

UPSERT = "UNWIND $rows AS row MERGE (c:Customer {customerId: row.customerId}) SET c += row.props"
NESTED = (
    "UNWIND $rows AS row MATCH (c:Customer {customerId: row.id}) "
    "FOREACH (e IN row.emails | MERGE (n:Email {email: e}) MERGE (c)-[:HAS_EMAIL]->(n))"
)


def _rules(text: str, params: dict, write: bool = True) -> set[str]:
    return {v.rule for v in check(text, params, write)}


@given(st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=5)), max_size=8))
def test_a_merge_key_is_flagged_exactly_when_some_row_has_none(keys: list[str | None]) -> None:
    rows = [{"customerId": k, "props": {"source": "crm"}} for k in keys]
    flagged = "MERGE on a null key" in _rules(UPSERT, {"rows": rows})
    assert flagged == (None in keys)


@given(st.lists(st.lists(st.one_of(st.none(), st.emails()), max_size=3), max_size=5))
def test_merge_keys_inside_foreach_are_checked(emails: list[list[str | None]]) -> None:
    rows = [{"id": f"c:{i}", "emails": e} for i, e in enumerate(emails)]
    flagged = "MERGE on a null key" in _rules(NESTED, {"rows": rows})
    assert flagged == any(None in e for e in emails)


def test_a_merge_key_from_a_parameter_or_a_sum_is_checked() -> None:
    text = "MERGE (l:Lock {name: $name}) RETURN l.name AS name"
    assert _rules(text, {"name": None}) == {"MERGE on a null key"}
    assert _rules(text, {"name": "resolution"}) == set()
    summed = "UNWIND $rows AS row MERGE (d:D {id: row.a + '/' + row.b})"
    assert _rules(summed, {"rows": [{"a": "x", "b": None}]}) == {"MERGE on a null key"}
    assert _rules(summed, {"rows": [{"a": "x", "b": "y"}]}) == set()


@given(
    st.lists(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
        max_size=6,
    )
)
def test_a_stored_list_must_be_of_one_kind_without_null(values: list) -> None:
    kinds = {
        "bool" if isinstance(v, bool) else "num" if isinstance(v, int | float) else type(v)
        for v in values
    }
    refused = None in values or len(kinds) > 1  # Neo4j coerces ints and floats together
    assert (stored_value_problem("p", values) is not None) == refused
    rows = [{"customerId": "c:1", "props": {"p": values}}]
    assert ("property Neo4j cannot store" in _rules(UPSERT, {"rows": rows})) == refused


def test_maps_cannot_be_stored_by_any_form_of_set_or_create() -> None:
    nested = {"a": 1}
    assert _rules(UPSERT, {"rows": [{"customerId": "c:1", "props": {"x": nested}}]}) == {
        "property Neo4j cannot store"
    }
    assert _rules("MATCH (n:N) SET n.x = $v", {"v": nested}) == {"property Neo4j cannot store"}
    assert _rules("CREATE (:N {x: $v})", {"v": nested}) == {"property Neo4j cannot store"}
    assert _rules("MATCH (n:N) SET n.x = $v", {"v": [1, 2.5]}) == set()


def test_values_set_by_position_are_checked_like_those_in_a_map() -> None:
    """app/store/properties.py sends rows as lists ([key, value, ...]) and a value the rows
    share as its own parameter."""
    text = positional_query("probe", "N", "key", (("x", False), ("y", True)))
    assert _rules(text, {"rows": [["k", ["a", 1]]], "c1": 2}) == {"property Neo4j cannot store"}
    assert _rules(text, {"rows": [["k", 1]], "c1": {"a": 1}}) == {"property Neo4j cannot store"}
    assert _rules(text, {"rows": [["k", ["a", "b"]]], "c1": [1.5]}) == set()


def test_writes_in_a_read_query_are_flagged_and_words_in_strings_are_not() -> None:
    assert _rules("MATCH (n) SET n.x = 1", {}, write=False) == {"write in a read query"}
    assert _rules("MATCH (n) DETACH DELETE n", {}, write=False) == {"write in a read query"}
    harmless = (
        "// CREATE nothing here\nMATCH (n:Customer) WHERE n.note = 'SET by MERGE' "
        "RETURN n.createdAt AS created, `DELETE` AS x"
    )
    assert _rules(harmless, {}, write=False) == set()
    assert "CREATE" not in strip(harmless) and "SET" not in strip(harmless)


def test_every_merge_key_in_the_query_files_can_be_checked() -> None:
    """A MERGE key computed by Cypher would slip past the null-key check: every MERGE key in
    cypher/ comes from $parameters, UNWIND/FOREACH variables over them, or literals."""
    unchecked = {}
    for path in sorted(CYPHER_DIR.rglob("*.cypher")):
        keys = unchecked_merge_keys(path.read_text(encoding="utf-8"))
        if keys:
            unchecked[path.name] = keys
    assert unchecked == {}
    assert unchecked_merge_keys("MATCH (x) WITH collect(x.k)[0] AS k MERGE (:N {k: k})") == ["k: k"]
    guarded = (
        "UNWIND $rows AS row FOREACH (x IN CASE WHEN row.k IS NULL THEN [] ELSE [row.k] END | "
    )
    assert unchecked_merge_keys(guarded + "MERGE (:N {k: x}))") == []
    assert unchecked_merge_keys(
        guarded.replace("[row.k] END", "[row.j] END") + "MERGE (:N {k: x}))"
    )
    listed = "UNWIND $rows AS row FOREACH (x IN coalesce(row.ids, []) | MERGE (:N {k: x.id}))"
    assert unchecked_merge_keys(listed) == []
    assert unchecked_merge_keys(listed.replace("coalesce(row.ids, [])", "coalesce(row.ids, [1])"))
