"""Every record read for resolution as it is stored: `load_records` (FalkorDB sends the texts
as plain texts, docs/performance.md "Reading records") gives the frame of the records' own
properties, for any text, on both stores."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from app.resolution.fields import RECORD_FIELDS
from app.resolution.records import frame, load_records
from app.store import GraphStore
from app.store.base import KEY_PROPERTIES
from app.values import parameter_problem

# Texts of every kind, those a reply's own syntax uses among them: "[", ",", "null", "true",
# quotes, numbers as text, new lines, the empty text, and characters outside the BMP.
TEXT = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["", "null", "true", "1.5", "[a, b]", '"q"', "a\nb", "\U0001f600", "0"]),
)
RECORD = st.fixed_dictionaries(
    {f: TEXT for f in ("firstName", "lastName", "street", "city", "email", "dateOfBirth")},
    optional={"id_nationalId": TEXT, "id_passport": TEXT, "blockHash": TEXT},
)


def _write(store: GraphStore, records: list[dict[str, Any]]) -> None:
    store.clear()
    store.setup_schema()
    rows = [
        {"customerId": f"crm:{i}", "props": {"source": "crm", **r}} for i, r in enumerate(records)
    ]
    rows.append({"customerId": "pos:stub", "props": {"stub": True}})  # not a record resolved
    if parameter_problem({"rows": rows}, KEY_PROPERTIES, True):
        reject()  # not a value any store is given (an e-mail key that is empty, say)
    store.run_text(
        "UNWIND $rows AS r CREATE (c:Customer {customerId: r.customerId}) SET c += r.props",
        {"rows": rows},
        write=True,
    )
    types = [{"name": "nationalId", "compare": "exact"}, {"name": "passport", "compare": None}]
    store.write("merge_identifier_types", rows=types)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(RECORD, max_size=6), page=st.integers(1, 7))
def test_records_read_are_the_records_own_properties(
    store: GraphStore, records: list[dict[str, Any]], page: int
) -> None:
    """Whatever the page (records per read), the records come back whole, in key order."""
    _write(store, records)
    own, _ = store.run_text(
        "MATCH (c:Customer) WHERE c.stub IS NULL RETURN properties(c) AS p ORDER BY c.customerId",
        write=False,
    )
    expected = frame([r["p"] for r in own])

    got = load_records(store, page)

    assert list(got.index) == sorted(r["p"]["customerId"] for r in own)
    assert got.to_dict("index") == expected.to_dict("index")
    assert list(got.columns) == list(expected.columns)
    assert list(got.columns)[: len(RECORD_FIELDS)] == list(RECORD_FIELDS)
