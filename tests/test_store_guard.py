"""The store refuses, on both backends, what FalkorDB 4.22 crashes on (docs/falkordb-crash.md)
before it reaches the backend, as bad input, and keeps serving; on the embedded store a value
that still got through would be caught by supervision (tests/api/test_supervision.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import BadValue, InputError
from app.store import GraphStore
from app.values import MAX_KEY_BYTES, key_problem

CRASHING = ["a" * 4204, "\nx", "x\n", " x", "x ", "\tx", "\x01", "a\x01b", "é" * 2100]


@pytest.mark.parametrize("key", CRASHING, ids=repr)
def test_a_key_the_backend_cannot_take_is_refused_and_the_store_serves(
    store: GraphStore, key: str
) -> None:
    with pytest.raises(BadValue, match="customerId") as refused:
        store.write("upsert_customers", rows=[{"customerId": key, "props": {"source": "crm"}}])
    assert isinstance(refused.value, InputError)  # BAD_USER_INPUT in the API
    assert key not in str(refused.value)  # the value is not echoed
    assert store.ping()
    store.write("upsert_customers", rows=[{"customerId": "crm:ok", "props": {"source": "crm"}}])
    assert store.read("customer_count")[0]["n"] == 1


def test_a_nul_byte_is_refused_in_reads_and_writes(store: GraphStore) -> None:
    with pytest.raises(BadValue, match="NUL"):
        store.read("api_customers", ids=["crm:\x00"])
    with pytest.raises(BadValue, match="NUL"):
        store.write(
            "upsert_customers", rows=[{"customerId": "crm:1", "props": {"firstName": "A\x00"}}]
        )
    assert store.ping()


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")], ids=repr)
def test_a_number_that_is_not_finite_is_refused_in_reads_and_writes(
    store: GraphStore, number: float
) -> None:
    """FalkorDB's query text has no literal for it and Neo4j would store it: one answer on
    both, before either is asked, with nothing written."""
    with pytest.raises(BadValue, match=r"value: .* is not a finite number"):
        store.read("api_customers", ids=["crm:1"], value=number)
    rows = [{"customerId": "crm:1", "props": {"source": "crm", "score": [1.0, number]}}]
    with pytest.raises(BadValue, match=r"score: .* is not a finite number"):
        store.write("upsert_customers", rows=rows)
    assert store.read("customer_count")[0]["n"] == 0
    assert store.ping()


def test_keys_that_work_are_taken_as_they_are(store: GraphStore) -> None:
    """What FalkorDB takes safely stays allowed: inner white space, 2,048 bytes, any letter."""
    keys = ["a\nb".replace("\n", " "), "a" * MAX_KEY_BYTES, "Zoë:中文", "x-1/2"]
    rows = [{"customerId": k, "props": {"source": "crm"}} for k in keys]
    store.write("upsert_customers", rows=rows)
    found = store.read("api_customers", ids=keys)
    assert sorted(r["customer"]["customerId"] for r in found) == sorted(keys)


@given(st.text(max_size=40))
def test_a_key_is_refused_exactly_when_it_has_a_control_character_or_end_space(
    text: str,
) -> None:
    expected = (
        not text
        or text != text.strip()
        or any(ord(c) < 32 or 127 <= ord(c) <= 159 for c in text)
        or len(text.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES
    )
    assert (key_problem(text) is not None) == expected
