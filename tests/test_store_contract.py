"""The store contract, run against every available backend."""

from __future__ import annotations

import time
import uuid

import pytest

from app.errors import StoreConflict, StoreError
from app.store import GraphStore, query_names
from app.store.base import UNIQUE_KEYS, Key, Schema, read_deadline, safe_identifier
from tests.neo4j_rules import refusal_expected


def test_schema_setup_is_idempotent(store: GraphStore) -> None:
    store.setup_schema()
    assert store.setup_schema() == []  # nothing left to create


def test_schema_setup_reports_what_it_created(store: GraphStore) -> None:
    label = f"Probe{uuid.uuid4().hex[:8]}"
    schema = Schema(unique=[Key(label, "probeId")], indexes=[Key(label, "size")])
    try:
        created = store.setup_schema(schema)
        again = store.setup_schema(schema)
    finally:
        if store.backend == "neo4j":  # a real Neo4j keeps schema across runs
            store.run_text(f"DROP CONSTRAINT {label.lower()}_probeId_unique IF EXISTS", write=True)
            store.run_text(f"DROP INDEX {label.lower()}_size IF EXISTS", write=True)
    # FalkorDB: a unique constraint needs an index of its own first; Neo4j makes one itself.
    own = [f"index {label}.probeId"] if store.backend == "falkordb" else []
    assert created == sorted([*own, f"index {label}.size", f"unique {label}.probeId"])
    assert again == []


def test_indexes_added_to_a_label_with_data_each_find_every_node(store: GraphStore) -> None:
    """Resolve adds one index per blocking key to Customer, which has data and indexes
    already: FalkorDB gets them in one statement per label (one at a time rebuilt the
    label's whole index each time). Every index must then find every node by its value."""
    label = f"Probe{uuid.uuid4().hex[:8]}"
    props = [f"k{i}" for i in range(6)]
    rows = [{"probeId": f"p{n}", **{p: f"{p}-{n % 7}" for p in props}} for n in range(50)]
    try:
        store.setup_schema(Schema(unique=[], indexes=[Key(label, "probeId")]))
        store.run_text(
            f"UNWIND $rows AS r CREATE (n:{label}) SET n = r", {"rows": rows}, write=True
        )
        created = store.setup_schema(Schema(unique=[], indexes=[Key(label, p) for p in props]))
        again = store.setup_schema(Schema(unique=[], indexes=[Key(label, p) for p in props]))
        found = {
            p: sorted(
                r["id"]
                for r in store.run_text(
                    f"MATCH (n:{label}) WHERE n.{p} = $v RETURN n.probeId AS id",
                    {"v": f"{p}-3"},
                    write=False,
                )[0]
            )
            for p in props
        }
    finally:
        store.run_text(f"MATCH (n:{label}) DELETE n", write=True)
        if store.backend == "neo4j":  # a real Neo4j keeps schema across runs
            for p in ["probeId", *props]:
                store.run_text(f"DROP INDEX {label.lower()}_{p} IF EXISTS", write=True)
    assert created == [f"index {label}.{p}" for p in props]
    assert again == []
    expected = sorted(f"p{n}" for n in range(50) if n % 7 == 3)
    assert found == {p: expected for p in props}


def test_unique_key_is_enforced(store: GraphStore) -> None:
    store.run_text("CREATE (:Email {email: 'a@example.com'})", write=True)
    with pytest.raises(StoreConflict):
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
    assert counts == {"Customer": 25, "ChangeMark": 1}  # and the mark its writes moved
    rows_back, _ = store.run_text(
        "MATCH (c:Customer {customerId: $id}) RETURN c.firstName AS name, c.n AS n",
        {"id": "crm:3"},
        write=False,
    )
    assert rows_back == [{"name": 'O\'Brien "Ünï"', "n": 3}]


def test_values_come_back_as_their_types(store: GraphStore) -> None:
    """Text, numbers, booleans, null, nested lists, maps and nodes read back as plain values
    on every backend (FalkorDB's replies are parsed by our own reader: app/store/falkordb.py)."""
    store.write_batches(
        "upsert_customers",
        [{"customerId": "crm:v", "props": {"source": "crm", "sourceKey": "v", "n": 7}}],
        batch_size=10,
    )
    rows, _ = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:v'}) "
        "RETURN 'a, b' AS s, 'true' AS t, 3 AS i, 2.5 AS f, true AS b, false AS nb, null AS z, "
        "[1, 'x', [null, 1.5]] AS l, {k: 'v', m: [2]} AS m, c AS node",
        write=False,
    )
    assert rows == [
        {
            "s": "a, b",
            "t": "true",
            "i": 3,
            "f": 2.5,
            "b": True,
            "nb": False,
            "z": None,
            "l": [1, "x", [None, 1.5]],
            "m": {"k": "v", "m": [2]},
            "node": {"customerId": "crm:v", "source": "crm", "sourceKey": "v", "n": 7},
        }
    ]
    assert [type(rows[0][k]) for k in ("i", "f", "b")] == [int, float, bool]


# The empty input of a parameter, where null is not one: no store MERGEs on a null key.
EMPTY_INPUT: dict[str, object] = {
    "rows": [],
    "ids": [],
    "keys": [],
    "name": "contract-test",
    "stage": "contract-test",
    "limit": 0,  # a page size: LIMIT refuses null on both stores
    "actor": "contract-test",  # who wrote an audit entry (the reader's Actor node's key)
}


def test_every_query_file_runs(store: GraphStore) -> None:
    """Each cypher/*.cypher (or its backend twin) parses and executes with empty input."""
    names = query_names()
    assert names, "no cypher files found"
    for name in names:
        text = store.cypher(name)
        params = {p: EMPTY_INPUT.get(p) for p in _params(text)}
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


def test_a_refused_batch_stops_a_batched_write_with_the_reason(store: GraphStore) -> None:
    rows = [
        {"customerId": f"crm:{i}", "props": {"source": "crm", "sourceKey": str(i)}}
        for i in range(30)
    ]
    rows[14]["props"]["nested"] = {"a": 1}  # no store keeps a map as a property value
    batches: list[int] = []
    with refusal_expected(), pytest.raises(StoreError):
        store.write_batches("upsert_customers", rows, batch_size=10, on_batch=batches.append)
    assert batches == [10]  # the first batch was written and reported; the third never sent
    counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
    assert counts == {"Customer": 10, "ChangeMark": 1}  # and the mark its writes moved


def test_number_lists_come_back_whole(store: GraphStore) -> None:
    """read_number_lists (FalkorDB: lists as text, read by numpy) gives every number of
    every row, in order: whole over Bolt, rounded to 6 decimals on FalkorDB (its text form
    of a list keeps 6; docs/architecture.md)."""
    store.run_text(
        "CREATE (p:Profile {profileId: 'P1', status: 'active'}), "
        "(q:Profile {profileId: 'P2', status: 'active'}), "
        "(:Customer {customerId: 'c:1'})-[:RESOLVES_TO]->(p), "
        "(c2:Customer {customerId: 'c:2'})-[:RESOLVES_TO]->(q), "
        "(c3:Customer {customerId: 'c:3'})-[:RESOLVES_TO]->(p)",
        write=True,
    )
    rows = [
        ("c:1", "i1", "purchase", "web", 1_754_170_686_000, 12.5),
        ("c:1", "i2", "email_open", None, 1_754_170_699_000, None),
        ("c:2", "i3", "purchase", "app", 1_754_170_700_000, 0.1234567),
        ("c:3", "i4", "call", "phone", 1_754_170_800_000, -3.0),
    ]
    for cid, iid, kind, channel, ts, value in rows:
        store.run_text(
            "MATCH (c:Customer {customerId: $c}) CREATE (c)-[:PERFORMED]->(:Interaction "
            "{interactionId: $i, type: $t, channel: $ch, source: 'crm', ts: $ts, value: $v})",
            {"c": cid, "i": iid, "t": kind, "ch": channel, "ts": ts, "v": value},
            write=True,
        )
    got = store.read_number_lists(
        "metrics_interactions_packed",
        ids=["P1", "P2"],
        until=1_800_000_000_000,
        types={"purchase": 1, "email_open": 2, "call": 3},
        channels={"web": 1, "app": 2},
        sources={"crm": 1},
        typeMul=64,
        channelMul=4,
    )
    by_key = {}
    start = 0
    for key, n in zip(got.keys, got.lengths.tolist(), strict=True):
        by_key[key] = sorted(
            zip(
                *(got.columns[c][start : start + n].tolist() for c in ("ts", "codes", "vals")),
                strict=True,
            )
        )
        start += n
    assert by_key == {
        "P1": [
            (1_754_170_686_000, 1 * 64 + 1 * 4 + 2 + 1, 12.5),
            (1_754_170_699_000, 2 * 64 + 0 + 2 + 0, 0.0),
            (1_754_170_800_000, 3 * 64 + 0 + 2 + 1, -3.0),  # phone: not in the map
        ],
        "P2": [
            (
                1_754_170_700_000,
                1 * 64 + 2 * 4 + 2 + 1,
                0.123457 if store.backend == "falkordb" else 0.1234567,
            )
        ],
    }


def test_read_many_gives_each_read_its_rows_in_order_within_the_callers_budget(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Independent reads run side by side (GraphStore.read_many): each answer is the one
    its read gives alone, in the order asked, and each runs with the caller's request
    budget (read_deadline), which threads do not inherit by themselves."""
    store.run_text(
        "UNWIND range(0, 9) AS i CREATE (:Customer {customerId: 'c' + toString(i), rowHash: "
        "'h' + toString(i)})",
        write=True,
    )
    asks = [
        ("customers_existing", {"ids": ["c3", "c1", "zz"]}),
        ("customers_existing", {"ids": [f"c{i}" for i in range(10)]}),
        ("customers_existing", {"ids": []}),
        ("interactions_existing", {"ids": ["e1"]}),
    ]
    alone = [store.read(name, **params) for name, params in asks]
    seen: list[float | None] = []
    read = store.read

    def spied(name: str, **params: object) -> list[dict]:
        seen.append(read_deadline.get())
        return read(name, **params)

    monkeypatch.setattr(store, "read", spied)
    budget = time.monotonic() + 60
    token = read_deadline.set(budget)
    try:
        together = store.read_many(asks)
    finally:
        read_deadline.reset(token)

    def key(rows: list[dict]) -> list[str]:  # rows come back in any order
        return sorted(map(str, rows))

    assert [key(r) for r in together] == [key(r) for r in alone]
    assert [len(r) for r in together] == [2, 10, 0, 0]
    assert seen == [budget] * len(asks)
