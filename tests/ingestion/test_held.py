"""A reload of a file the graph holds as its last load left it stops after checking the
stored fingerprints (app/ingestion/held.py): nothing is read row by row or written, and
the summary is that load's. Anything the rows depend on that changed makes it load row by
row, and the graph is then the one a row-by-row load gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import app.ingestion.ahead as ahead
import app.ingestion.batch as batch
from app.ingestion.batch import load_directory
from app.ingestion.held import HeldKeys, KeySpool
from app.ingestion.loader import REPLAYED, IngestSummary, ingest_file
from app.ingestion.mapping import Mapping, load_mapping
from app.privacy.suppression import suppress
from app.settings import Settings
from app.store import GraphStore, marks
from app.synth import SynthConfig, generate
from tests.ingestion.helpers import (
    CUSTOMER_COLUMNS,
    INTERACTION_COLUMNS,
    customer_rows,
    snapshot,
    write_mapping,
)
from tests.writes import counting


def _customers(path: Path, n: int = 30) -> Path:
    rows = customer_rows(n)
    rows[4]["email"] = "not an email"  # blanked and recorded
    rows[9]["id"] = ""  # no key: quarantined
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _events(path: Path, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame(
        [
            {
                "event": e,
                "cust": c,
                "type": "purchase",
                "channel": "web",
                "at": "2025-03-01T10:00:00Z",
                "amount": "9.5",
                "device": "",
                "account": "",
            }
            for e, c in rows
        ]
    ).to_csv(path, index=False)
    return path


class Loads:
    def __init__(self, store: GraphStore, settings: Settings, tmp: Path) -> None:
        self.store, self.settings = store, settings
        self.customers = load_mapping(write_mapping(tmp / "c.yaml", "customers", CUSTOMER_COLUMNS))
        self.events = load_mapping(
            write_mapping(tmp / "i.yaml", "interactions", INTERACTION_COLUMNS)
        )

    def load(self, path: Path, mapping: Mapping, settings: Settings | None = None) -> IngestSummary:
        return ingest_file(
            self.store, path, "crm", settings or self.settings, mapping=mapping, show_progress=False
        )


@pytest.fixture
def loads(store: GraphStore, backend_settings: Settings, tmp_path: Path) -> Loads:
    settings = backend_settings.model_copy(update={"data_dir": tmp_path / "data"})
    return Loads(store, settings, tmp_path)


def _no_rows_prepared(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("the rows were prepared again")

    monkeypatch.setattr(ahead, "prepare_customers", refuse)
    monkeypatch.setattr(ahead, "prepare_interactions", refuse)


def _counts(s: IngestSummary) -> dict[str, Any]:
    return {k: getattr(s, k) for k in REPLAYED}


def test_a_file_the_graph_holds_is_not_read_or_written_again(
    loads: Loads, store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _customers(tmp_path / "crm_customers.csv")
    events = _events(tmp_path / "crm_interactions.csv", [("E1", "C000001"), ("E2", "C000002")])
    first = [loads.load(people, loads.customers), loads.load(events, loads.events)]
    assert (first[0].rows_loaded, first[0].rows_quarantined, first[0].fields_blanked) == (29, 1, 1)
    graph = snapshot(store)
    quarantine = Path(str(first[0].quarantine_file)).read_text()

    with monkeypatch.context() as m:
        _no_rows_prepared(m)
        with counting(store, m) as written:
            again = [loads.load(people, loads.customers), loads.load(events, loads.events)]
    assert [s.unchanged for s in first] == [False, False]
    assert [s.unchanged for s in again] == [True, True]
    assert written.count == 0 and written.summary.properties_set == 0
    assert [_counts(s) for s in again] == [_counts(s) for s in first]
    assert Path(str(again[0].quarantine_file)).read_text() == quarantine
    assert snapshot(store) == graph


def test_a_changed_record_file_or_setting_loads_the_file_row_by_row(
    loads: Loads, store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = _customers(tmp_path / "crm_customers.csv")
    loads.load(people, loads.customers)
    graph = snapshot(store)

    # A record changed in the graph since (another source, the API): the file's version
    # of it is written back, and only it.
    store.run_text(
        "MATCH (c:Customer {customerId: 'crm:C000003'}) SET c.firstName = 'Other', "
        "c.rowHash = 'another'",
        write=True,
    )
    with counting(store, monkeypatch) as written:
        s = loads.load(people, loads.customers)
    assert not s.unchanged
    assert written.ids("upsert_customers", "customerId") == {"crm:C000003"}
    assert snapshot(store) == graph
    assert loads.load(people, loads.customers).unchanged

    # A setting the rows depend on.
    other = loads.settings.model_copy(update={"default_country": "US"})
    assert not loads.load(people, loads.customers, other).unchanged
    assert loads.load(people, loads.customers, other).unchanged

    # One more row in the file: that record alone is written.
    rows = pd.read_csv(people, dtype=str, keep_default_na=False)
    extra = pd.DataFrame(customer_rows(1, offset=500))
    pd.concat([rows, extra]).to_csv(people, index=False)
    with counting(store, monkeypatch) as written:
        s = loads.load(people, loads.customers, other)
    assert not s.unchanged and s.rows_loaded == 30
    assert written.ids("create_customers", "customerId") == {"crm:C000500"}

    # A graph emptied since: everything again, and the same graph as a first load.
    store.clear()
    store.setup_schema()
    assert not loads.load(people, loads.customers, other).unchanged
    assert store.run_text("MATCH (c:Customer) RETURN count(c) AS n", write=False)[0] == [{"n": 30}]


def test_an_erased_person_makes_the_file_load_again_without_them(
    loads: Loads, store: GraphStore, tmp_path: Path
) -> None:
    people = _customers(tmp_path / "crm_customers.csv")
    loads.load(people, loads.customers)
    suppress(store, loads.settings, ["crm:C000005"])
    store.run_text("MATCH (c:Customer {customerId: 'crm:C000005'}) DETACH DELETE c", write=True)

    s = loads.load(people, loads.customers)
    assert not s.unchanged and (s.rows_loaded, s.rows_suppressed) == (28, 1)
    found = store.run_text("MATCH (c:Customer {customerId: 'crm:C000005'}) RETURN c", write=False)[
        0
    ]
    assert found == []
    assert loads.load(people, loads.customers).unchanged


def test_an_event_refused_for_its_owner_loads_once_the_owner_is_gone(
    loads: Loads, store: GraphStore, tmp_path: Path
) -> None:
    """An event ID belongs to one performer: a second file naming another performer is
    refused while the first holds it. Once the first performer's event is gone, a reload
    of the second file finds a change and loads it."""
    first = _events(tmp_path / "crm_interactions.csv", [("E1", "C000001")])
    second = _events(tmp_path / "crm_more.csv", [("E1", "C000002"), ("E2", "C000002")])
    loads.load(first, loads.events)
    s = loads.load(second, loads.events)
    assert (s.rows_loaded, s.rows_quarantined) == (1, 1)
    assert loads.load(second, loads.events).unchanged

    store.run_text("MATCH (i:Interaction {interactionId: 'crm:E1'}) DETACH DELETE i", write=True)
    s = loads.load(second, loads.events)
    assert not s.unchanged and (s.rows_loaded, s.rows_quarantined) == (2, 0)
    rows, _ = store.run_text(
        "MATCH (c:Customer)-[:PERFORMED]->(i:Interaction {interactionId: 'crm:E1'}) "
        "RETURN c.customerId AS c",
        write=False,
    )
    assert rows == [{"c": "crm:C000002"}]


def test_a_mapping_with_account_attributes_always_loads(
    loads: Loads, store: GraphStore, tmp_path: Path
) -> None:
    """Account attributes are keyed by account: another file may have set them since."""
    path = tmp_path / "crm_customers.csv"
    rows = customer_rows(8)
    pd.DataFrame([{**r, "plan": "10"} for r in rows]).to_csv(path, index=False)
    mapping = load_mapping(
        write_mapping(
            tmp_path / "a.yaml",
            "customers",
            CUSTOMER_COLUMNS,
            accountAttributes={"plan": "planMb"},
        )
    )
    loads.load(path, mapping)
    assert not loads.load(path, mapping).unchanged


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("held-folder")
    generate(SynthConfig(people=40, seed=3), out, "csv")
    return out


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The kinds of the loads whose stored fingerprints were read (HeldKeys.still_held)."""
    kinds: list[str] = []
    still_held = HeldKeys.still_held
    monkeypatch.setattr(
        HeldKeys, "still_held", lambda self, s: kinds.append(self.kind) or still_held(self, s)
    )
    return kinds


def test_a_folder_reloaded_with_no_mark_moved_reads_no_fingerprints(
    store: GraphStore, loads: Loads, folder: Path, checked: list[str]
) -> None:
    settings = loads.settings
    first = load_directory(store, folder, settings, show_progress=False)
    files = len(first)
    assert checked == []  # a first load has nothing to check

    def reload() -> list[IngestSummary]:
        checked.clear()
        return load_directory(store, folder, settings, show_progress=False)

    again = reload()
    assert [s.unchanged for s in again] == [True] * files
    assert [_counts(s) for s in again] == [_counts(s) for s in first]
    assert checked == []
    # Any write that could change a loaded record (here one outside a flow): the next reload
    # reads the fingerprints, finds them held, and the one after reads none again.
    store.run_text("MATCH (c:Customer) WITH c LIMIT 1 SET c.note = 'seen'", write=True)
    assert [s.unchanged for s in reload()] == [True] * files
    assert len(checked) == files
    assert [s.unchanged for s in reload()] == [True] * files
    assert checked == []
    # A record edited since: its file loads row by row and puts the record back.
    store.run_text(
        "MATCH (c:Customer {customerId: 'crm:CRM-0000001'}) SET c.rowHash = 'edited'", write=True
    )
    assert {s.file for s in reload() if not s.unchanged} == {str(folder / "crm_customers.csv")}
    found, _ = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:CRM-0000001'}) RETURN c.rowHash AS h", write=False
    )
    assert found[0]["h"] != "edited"


def test_a_write_by_another_while_a_folder_loads_leaves_its_next_reload_reading(
    store: GraphStore,
    loads: Loads,
    folder: Path,
    checked: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = loads.settings
    load = batch.ingest_file

    def meanwhile(*args: Any, **kwargs: Any) -> IngestSummary:
        marks.bump(store, [marks.OTHER])  # another process's write, done while this loads
        return load(*args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(batch, "ingest_file", meanwhile)
        load_directory(store, folder, settings, show_progress=False)
    again = load_directory(store, folder, settings, show_progress=False)
    assert all(s.unchanged for s in again)
    assert len(checked) == len(again)


def test_a_load_writes_its_keys_as_its_chunks_come_instead_of_holding_them(
    loads: Loads, store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys a load writes down for its next reload go to a spool file chunk by chunk
    (none held in memory), and the file `save` puts in place names every record loaded with
    the fingerprint the graph holds for it; no spool is left behind."""
    people = tmp_path / "crm_customers.jsonl"
    people.write_text(
        "".join(pd.DataFrame(customer_rows(30)).to_json(orient="records", lines=True))
    )
    held: list[int] = []  # the spool's lines on disk at each chunk, then at the save
    add, save = KeySpool.add, KeySpool.save

    def added(self: KeySpool, *args: Any) -> None:
        add(self, *args)
        held.append(len(self.path.read_bytes().splitlines()))  # written, not held

    def saved(self: KeySpool, path: Path) -> None:
        held.append(len(self.path.read_bytes().splitlines()))
        save(self, path)

    monkeypatch.setattr(KeySpool, "add", added)
    monkeypatch.setattr(KeySpool, "save", saved)
    small = loads.settings.model_copy(update={"chunk_rows": 7})
    summary = loads.load(people, loads.customers, small)
    assert summary.rows_loaded == 30
    assert held == [2, 3, 4, 5, 6, 6]  # the kind, then a line a chunk of 7, 7, 7, 7, 2
    rows = store.run_text(
        "MATCH (c:Customer) RETURN c.customerId AS id, c.rowHash AS h", write=False
    )[0]
    keys = HeldKeys.read(
        loads.settings.data_dir / "loads" / "crm.customers.crm_customers.jsonl.keys"
    )
    assert keys is not None and keys.kind == "customers"
    assert keys.fingerprints == {r["id"]: r["h"] for r in rows}
    assert not list((loads.settings.data_dir / "loads").glob("*.part"))


def test_two_files_of_one_stem_keep_their_own_journal_keys_and_quarantine(
    loads: Loads, store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """crm_customers.csv and crm_customers.jsonl in one folder: two loads. Each keeps its
    quarantine file (the second's load no longer deletes the first's) and its keys, so a
    reload of both reads neither."""
    folder = tmp_path / "src"
    folder.mkdir()
    write_mapping(folder / "crm.customers.yaml", "customers", CUSTOMER_COLUMNS)
    _customers(folder / "crm_customers.csv", n=12)
    rows = customer_rows(12, offset=500)
    rows[3]["id"] = ""  # no key: quarantined
    pd.DataFrame(rows).to_json(folder / "crm_customers.jsonl", orient="records", lines=True)

    first = load_directory(store, folder, loads.settings, show_progress=False)
    assert [(Path(s.file).name, s.rows_loaded, s.rows_quarantined) for s in first] == [
        ("crm_customers.csv", 11, 1),
        ("crm_customers.jsonl", 11, 1),
    ]
    files = [Path(str(s.quarantine_file)) for s in first]
    assert files[0] != files[1]
    # The CSV's blanked e-mail (row 5) and record without a key (row 10); the JSONL's row 4.
    assert [[json.loads(line)["row"] for line in f.read_text().splitlines()] for f in files] == [
        [5, 10],
        [4],
    ]
    graph = snapshot(store)

    with monkeypatch.context() as m:
        _no_rows_prepared(m)
        again = load_directory(store, folder, loads.settings, show_progress=False)
    assert [s.unchanged for s in again] == [True, True]
    assert [Path(str(s.quarantine_file)) for s in again] == files
    assert snapshot(store) == graph
