"""Records and events new to the graph go in with CREATE (app/ingestion/fresh.py): the graph
is the one the upserts make; a re-run of the same rows writes none of them again, and a
changed record is upserted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.ingestion.fresh import CUSTOMER_WRITES, key_read, split_writes
from app.ingestion.loader import ingest_file, write_chunk
from app.ingestion.mapping import Mapping, builtin_mapping, load_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import Prepared, prepare_customers, prepare_interactions
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from tests.ingestion.helpers import CUSTOMER_COLUMNS, customer_rows, snapshot, write_mapping
from tests.ingestion.test_digest import digest
from tests.writes import counting

TRUST = ["crm", "webshop", "loyalty", "callcenter"]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fresh")
    generate(SynthConfig(people=60, seed=5, mess=2.0), out, "csv")
    return out


def _chunks(folder: Path, tmp: Path) -> list[Prepared]:
    """Every source's customers, one file with declared identifiers and account
    attributes, then every source's interactions, as prepared chunks of 40 rows."""
    extra = tmp / "ids.csv"
    rows = customer_rows(30)
    extra.write_text(
        ",".join([*rows[0], "nino", "plan"])
        + "\n"
        + "".join(
            ",".join([*r.values(), f"AB{i % 20:06d}C", str(i % 3)]) + "\n"
            for i, r in enumerate(rows)
        )
    )
    with_ids = load_mapping(
        write_mapping(
            tmp / "ids.yaml",
            "customers",
            {**CUSTOMER_COLUMNS, "nino": "nationalId"},
            identifiers={"nationalId": "typo"},
            accountAttributes={"plan": "planMb"},
        )
    )
    files: list[tuple[Path, Mapping]] = [
        (folder / f"{s}_customers.csv", builtin_mapping(s, "customers")) for s in TRUST
    ]
    files.append((extra, with_ids))
    files += [(folder / f"{s}_interactions.csv", builtin_mapping(s, "interactions")) for s in TRUST]
    out = []
    for path, mapping in files:
        seen: dict[str, int] = {}
        for chunk in read_chunks(path, "csv", 40):
            if mapping.kind == "customers":
                out.append(
                    prepare_customers(
                        chunk,
                        mapping,
                        file=path.name,
                        max_len=512,
                        country="GB",
                        seen=seen,
                        identifier_types=list(mapping.identifiers),
                    )
                )
            else:
                out.append(
                    prepare_interactions(chunk, mapping, file=path.name, max_len=512, seen=seen)
                )
    return out


def test_create_path_gives_the_upserts_graph_and_a_rerun_writes_nothing_again(
    store: GraphStore, population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = _chunks(population, tmp_path)
    for chunk in chunks:
        # every key read as present, without a fingerprint: the upsert queries
        write_chunk(store, chunk, 25, TRUST, existing=dict.fromkeys(key_read(chunk.writes)[2]))
    upserted = digest(store)
    store.clear()
    store.setup_schema()

    with counting(store, monkeypatch) as first:
        for chunk in chunks:
            write_chunk(store, chunk, 25, TRUST)
    assert digest(store) == upserted
    assert len(first.rows["create_customers"]) > 100
    assert len(first.rows["create_interactions"]) > 100
    created = first.rows["create_customers"]
    assert all(any(k in r for r in created) for k in ("identifiers", "deviceId", "accountId"))
    assert first.rows["set_account_attributes"]
    assert not first.rows["upsert_customers"] and not first.rows["upsert_interactions"]

    with counting(store, monkeypatch) as again:
        for chunk in chunks:
            write_chunk(store, chunk, 25, TRUST)
    assert digest(store) == upserted
    # Only account attributes (kept per account, not per record) are written again.
    assert set(again.rows) == {"set_account_attributes"}
    assert again.rows["set_account_attributes"] == first.rows["set_account_attributes"]


def test_split_moves_only_the_new_keys() -> None:
    writes: dict[str, list[dict[str, Any]]] = {
        "upsert_interactions": [
            {
                "interactionId": "s:1",
                "customerId": "s:a",
                "customerKey": "a",
                "source": "s",
                "props": {},
            },
            {
                "interactionId": "s:2",
                "customerId": "s:a",
                "customerKey": "a",
                "source": "s",
                "props": {},
            },
        ],
        "link_interaction_devices": [
            {"interactionId": "s:1", "deviceId": "d1"},
            {"interactionId": "s:2", "deviceId": "d2"},
        ],
        "link_interaction_accounts": [],
        "set_account_attributes": [{"accountId": "x", "props": {"planMb": 1}}],
    }
    out = split_writes(writes, existing={"s:1"})
    assert [r["interactionId"] for r in out["upsert_interactions"]] == ["s:1"]
    assert out["link_interaction_devices"] == [{"interactionId": "s:1", "deviceId": "d1"}]
    assert out["create_interactions"] == [{**writes["upsert_interactions"][1], "deviceId": "d2"}]
    assert out["set_account_attributes"] == writes["set_account_attributes"]
    assert split_writes(writes, existing={"s:1", "s:2"}) == writes


def test_keys_another_writer_created_meanwhile_are_upserted(
    store: GraphStore, population: Path, tmp_path: Path
) -> None:
    """A read that found a chunk's keys new, then another writer creating them before this
    one writes (as two loads of the same file at once do): the CREATE is refused by the
    unique constraint and the chunk is upserted instead, so the graph is as after one load."""
    chunks = _chunks(population, tmp_path)
    for chunk in chunks:
        write_chunk(store, chunk, 25, TRUST)
    once = digest(store)
    for chunk in chunks:
        write_chunk(store, chunk, 25, TRUST, existing={})  # the stale "all new" read
    assert digest(store) == once


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(",".join(rows[0]) + "\n" + "".join(",".join(r.values()) + "\n" for r in rows))
    return path


def test_reloading_a_file_rewrites_only_the_records_that_changed(
    store: GraphStore,
    backend_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same file again writes no record; one changed row rewrites that record alone, and
    the graph is the one rewriting every record gives."""
    settings = backend_settings.model_copy(update={"data_dir": tmp_path / "data"})
    mapping = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    rows = customer_rows(40)
    f = _csv(tmp_path / "crm.csv", rows)
    ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    with counting(store, monkeypatch) as again:
        ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    assert {n: len(r) for n, r in again.rows.items() if n in CUSTOMER_WRITES} == {}

    rows[7] = {**rows[7], "email": "moved@example.com", "street": "1 New Road"}
    _csv(f, rows)
    with counting(store, monkeypatch) as changed:
        ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    written = {r["customerId"] for n in CUSTOMER_WRITES for r in changed.rows.get(n, [])}
    assert written == {"crm:C000007"}
    reloaded = snapshot(store)

    store.clear()
    store.setup_schema()
    _csv(f, customer_rows(40))
    ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    store.run_text("MATCH (c:Customer) REMOVE c.rowHash", write=True)  # as before fingerprints
    _csv(f, rows)
    with counting(store, monkeypatch) as everything:
        ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    assert len(everything.rows["upsert_customers"]) == 40
    assert snapshot(store) == reloaded
