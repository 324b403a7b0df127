"""The store contract, run against every available backend."""

from __future__ import annotations

import pytest

from app.errors import StoreError
from app.store import GraphStore, query_names
from app.store.base import UNIQUE_KEYS, safe_identifier


def test_schema_setup_is_idempotent(store: GraphStore) -> None:
    store.setup_schema()
    again = store.setup_schema()
    if store.backend == "falkordb":
        assert again == []  # nothing left to create


def test_unique_key_is_enforced(store: GraphStore) -> None:
    store.run_text("CREATE (:Email {email: 'a@example.com'})", write=True)
    with pytest.raises(StoreError):
        store.run_text("CREATE (:Email {email: 'a@example.com'})", write=True)


def test_batched_upsert_round_trips_values(store: GraphStore) -> None:
    rows = [
        {"customerId": f"crm:{i}", "props": {"source": "crm", "sourceKey": str(i), "n": i}}
        for i in range(25)
    ]
    rows[3]["props"]["firstName"] = 'O\'Brien "Ünï"'
    batches: list[int] = []
    summary = store.write_batches("upsert_customers", rows, batch_size=10, on_batch=batches.append)
    assert batches == [10, 10, 5]
    assert summary.nodes_created == 25
    again = store.write_batches("upsert_customers", rows, batch_size=10)
    assert again.nodes_created == 0
    counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
    assert counts == {"Customer": 25}
    rows_back, _ = store.run_text(
        "MATCH (c:Customer {customerId: $id}) RETURN c.firstName AS name, c.n AS n",
        {"id": "crm:3"},
        write=False,
    )
    assert rows_back == [{"name": 'O\'Brien "Ünï"', "n": 3}]


def test_every_query_file_runs(store: GraphStore) -> None:
    """Each cypher/*.cypher (or its backend twin) parses and executes with empty input."""
    names = query_names()
    assert names, "no cypher files found"
    for name in names:
        text = store.cypher(name)
        params = {p: [] if p in {"rows", "ids", "keys"} else None for p in _params(text)}
        store.run_text(text, params, write=True)


def test_ping(store: GraphStore) -> None:
    assert store.ping()


def test_identifiers_are_validated() -> None:
    assert safe_identifier("Customer") == "Customer"
    for bad in ["Customer) DETACH DELETE (n", "", "1abc", "a-b"]:
        with pytest.raises(StoreError):
            safe_identifier(bad)
    assert all(safe_identifier(k.label) for k in UNIQUE_KEYS)


def _params(text: str) -> set[str]:
    import re

    return set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))
