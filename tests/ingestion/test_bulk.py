"""A bulk first load (app/ingestion/bulk.py, the store's bulk path) ends in the graph of the
incremental load, and every load after it writes with queries."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest
import yaml

from app.errors import StoreError
from app.ingestion import ahead
from app.ingestion.batch import load_directory
from app.ingestion.bulk import BulkGraph
from app.ingestion.loader import IngestSummary
from app.ingestion.mapping import BUILTIN_DIR
from app.settings import Settings
from app.store import GraphStore, WriteSummary, falkordb_bulk, falkordb_wire
from app.synth import SynthConfig, generate
from tests.ingestion.helpers import killed_half_way, reversed_rows
from tests.ingestion.test_digest import digest
from tests.writes import counting

WRITES = ("create_customers", "upsert_customers", "create_interactions", "upsert_interactions")


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Messy sources: shared addresses written in several ways, events of unknown people."""
    out = tmp_path_factory.mktemp("bulk")
    generate(SynthConfig(people=120, seed=23, mess=2.0), out, "csv")
    return out


@pytest.fixture
def settings(backend_settings: Settings, tmp_path: Path) -> Settings:
    """Any load big enough for the bulk path."""
    return backend_settings.model_copy(update={"data_dir": tmp_path / "data", "bulk_min_bytes": 0})


def incremental_load(
    store: GraphStore, population: Path, settings: Settings
) -> tuple[str, list[IngestSummary]]:
    """The digest of the graph a load by queries gives, and its files' summaries, leaving
    the store empty again."""
    summaries = load_directory(store, population, settings, show_progress=False, bulk=False)
    incremental = digest(store)
    store.clear()
    store.setup_schema()
    return incremental, summaries


def incremental_digest(store: GraphStore, population: Path, settings: Settings) -> str:
    return incremental_load(store, population, settings)[0]


def test_bulk_first_load_gives_the_incremental_graph(
    store: GraphStore,
    settings: Settings,
    population: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incremental = incremental_digest(store, population, settings)

    with counting(store, monkeypatch) as first:
        summaries = load_directory(store, population, settings, show_progress=False)
    assert digest(store) == incremental
    assert sum(s.nodes_created for s in summaries) == len(  # all but the change mark it moved
        store.run_text(
            "MATCH (n) WHERE NOT n:IdentifierType AND NOT n:ChangeMark RETURN n", write=False
        )[0]
    )
    if store.has_bulk_path:  # no write query: the store's bulk path took it all
        assert not any(first.rows[name] for name in WRITES)
    else:  # the same rows by queries
        assert first.rows["create_customers"]

    with counting(store, monkeypatch) as again:  # not a first load any more
        summaries = load_directory(store, population, settings, show_progress=False)
    assert digest(store) == incremental
    # The same files again: every record and event is in the graph as they have it
    # (fingerprints written by the bulk path too), so none is written again.
    assert not any(again.rows[name] for name in WRITES)
    assert not any(s.completed for s in summaries)  # the bulk load's journals say done

    store.clear()
    store.setup_schema()
    load_directory(
        store, reversed_rows(population, tmp_path / "reversed"), settings, show_progress=False
    )
    assert digest(store) == incremental


def test_a_bulk_first_load_killed_while_stored_is_completed_by_running_it_again(
    falkor_store: GraphStore, falkor_settings: Settings, population: Path, tmp_path: Path
) -> None:
    """Killed once the first nodes are in the graph (GRAPH.BULK sends every node, then the
    relationships), the load run again writes with queries and ends in the graph of one
    clean load. The nodes stored carry their fingerprints, so the second run must not take
    them for records the graph holds whole (it did: 2,630 of 4,302 digest lines missing).
    The embedded store only: Neo4j has no bulk path (test_digest.py kills a load by queries)."""
    store = falkor_store
    own = falkor_settings.model_copy(update={"bulk_min_bytes": 0})  # the store's own folder
    clean = incremental_digest(store, population, own.model_copy(update={"data_dir": tmp_path}))
    completed_after_a_kill(store, population, own, clean)


def completed_after_a_kill(store: GraphStore, folder: Path, own: Settings, clean: str) -> None:
    """Kills a load of `folder` once the graph holds a record, runs it again, and checks the
    graph is the clean load's (`clean`) and that the files say the bulk load they completed
    did not finish. The kill can land after the graph was stored, while the journals are
    being closed (or after the last): those files are complete, and the kill is tried again,
    up to five times, until it stopped a load."""
    for _attempt in range(5):
        store.clear()
        store.setup_schema()
        killed_half_way(store, folder, own)
        summaries = load_directory(store, folder, own, show_progress=False)
        assert digest(store) == clean
        completed = [s.completed for s in summaries if s.completed]
        if completed:
            break
    assert completed
    assert all("bulk first load" in c and "did not finish" in c for c in completed)


def _jsonl(frame: pd.DataFrame, path: Path) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in frame.to_dict(orient="records")))


def with_repeated_events(population: Path, out: Path) -> tuple[Path, dict[str, int]]:
    """The population's sources as JSONL (read in chunks of exactly chunk_rows records;
    CSV is read in blocks of a megabyte), its crm events with a plan (an account
    attribute), and a second crm events file loaded after the first: the first 30 events
    again, 10 with another amount, 5 naming another performer (refused), 15 with a new
    plan, and new events of known and unknown people on new devices and accounts. Returns
    the folder and how many events are repeated ("again") and refused."""
    out.mkdir()
    frames = {
        f.stem: pd.read_csv(f, dtype=str, keep_default_na=False)
        for f in sorted(population.glob("*_*.csv"))
        if not f.stem.startswith("truth")
    }
    events = frames["crm_interactions"]
    events["plan_mb"] = [
        str(1000 * (i % 4 + 1)) if a else "" for i, a in enumerate(events["account_no"])
    ]
    for stem, frame in frames.items():
        _jsonl(frame, out / f"{stem}.jsonl")
    first = events.head(30).copy()
    first.loc[first.index[:10], "amount"] = "99.5"  # the same events, a new amount
    first.loc[first.index[10:15], "customer_key"] = events["customer_key"].iloc[-1]  # refused
    first.loc[first.index[15:30], "plan_mb"] = "123"  # stored accounts get a new plan
    new = events.head(12).copy()
    new["event_id"] = [f"NEW-{i}" for i in range(12)]
    new.loc[new.index[:6], "customer_key"] = [f"NOBODY-{i}" for i in range(6)]  # stubs
    new["device_id"] = [f"NEWDEV-{i % 5}" for i in range(12)]
    new["account_no"] = [f"NEWACC-{i % 4}" for i in range(12)]
    _jsonl(pd.concat([first, new]), out / "crm_interactions.ndjson")  # after .jsonl
    mapping = yaml.safe_load((BUILTIN_DIR / "crm.interactions.yaml").read_text())
    mapping["accountAttributes"] = {"plan_mb": "planMb"}
    (out / "crm.interactions.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    return out, {"again": 10 + 15, "refused": 5}


def test_a_bulk_load_sent_in_rounds_gives_the_incremental_graph(
    store: GraphStore,
    settings: Settings,
    population: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events are sent in rounds of bulk_round_rows source rows: after the first round the
    loader holds no more than a round and a chunk of events. Rows about events and accounts
    an earlier round sent are written by the upsert queries, and the graph, each file's
    counts and the refusals are the incremental load's."""
    folder, kinds = with_repeated_events(population, tmp_path / "repeated")
    small = settings.model_copy(update={"chunk_rows": 25, "prepare_workers": 0})
    incremental, by_queries = incremental_load(store, folder, small)

    rounds = small.model_copy(update={"bulk_round_rows": 60, "data_dir": tmp_path / "rounds"})
    held: list[int] = []
    send = BulkGraph.send

    def counted(self: BulkGraph) -> WriteSummary:
        held.append(self.held)
        return send(self)

    monkeypatch.setattr(BulkGraph, "send", counted)
    with counting(store, monkeypatch) as wrote:
        summaries = load_directory(store, folder, rounds, show_progress=False)
    assert digest(store) == incremental
    counts = [(s.rows_read, s.rows_loaded, s.rows_quarantined) for s in summaries]
    assert counts == [(s.rows_read, s.rows_loaded, s.rows_quarantined) for s in by_queries]
    refused = next(s for s in summaries if s.file.endswith(".ndjson"))
    assert refused.rows_quarantined == kinds["refused"]
    if not store.has_bulk_path:
        return
    # the first round holds every record; each later one (but the last) at least a round
    # and less than a round and a chunk
    assert held[0] == sum(s.rows_loaded for s in summaries if s.kind == "customers")
    assert len(held) > 5
    assert all(60 <= h < 60 + 25 for h in held[1:-1])
    # the repeated events (sent in an earlier round) went by the upsert queries, as did
    # plans of stored accounts; no record did
    assert len(wrote.rows["upsert_interactions"]) == kinds["again"]
    assert wrote.rows["set_account_attributes"]
    assert not any(wrote.rows[name] for name in ("create_customers", "create_interactions"))
    assert not wrote.rows["upsert_customers"]


def test_a_bulk_load_killed_between_rounds_is_completed_by_running_it_again(
    falkor_store: GraphStore, falkor_settings: Settings, population: Path, tmp_path: Path
) -> None:
    """Killed once its first round (every record) is in the graph, while events are read
    and sent in rounds, the load run again writes with queries and ends in the graph of one
    clean load, its files' journals saying the bulk load did not finish."""
    store = falkor_store
    folder, _ = with_repeated_events(population, tmp_path / "repeated")
    own = falkor_settings.model_copy(
        update={"bulk_min_bytes": 0, "bulk_round_rows": 60, "prepare_workers": 0}
    )
    clean = incremental_digest(store, folder, own.model_copy(update={"data_dir": tmp_path}))
    completed_after_a_kill(store, folder, own, clean)


def test_a_bulk_load_sent_in_many_small_commands_gives_the_same_graph(
    store: GraphStore,
    settings: Settings,
    population: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The binary form is built a slice of entities at a time and cut into commands of a
    bounded size: with slices of 7 and commands of 4 KB, every label and type spans many of
    both, and the graph is still the incremental load's."""
    incremental = incremental_digest(store, population, settings)

    monkeypatch.setattr(falkordb_wire, "BULK_SLICE", 7)
    monkeypatch.setattr(falkordb_wire, "BULK_TOKEN_BYTES", 4096)
    sent: list[int] = []
    bulk = falkordb_wire.bulk_tokens

    def counted(*args: object, **kwargs: object) -> object:
        for token, count in bulk(*args, **kwargs):  # type: ignore[arg-type]
            assert len(token) <= 4096
            sent.append(count)
            yield token, count

    monkeypatch.setattr(falkordb_bulk, "bulk_tokens", counted)  # nodes
    monkeypatch.setattr(falkordb_wire, "bulk_tokens", counted)  # relationships
    summaries = load_directory(store, population, settings, show_progress=False)
    assert digest(store) == incremental
    if store.has_bulk_path:  # every node and relationship went in one of the small commands
        made = sum(s.nodes_created + s.relationships_created for s in summaries)
        assert sum(sent) == made


def test_files_prepared_in_workers_give_what_one_process_gives(
    store: GraphStore,
    settings: Settings,
    population: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bulk first load prepares its files in worker processes (app/ingestion/ahead.py),
    forked or spawned: the graph, each file's counts and its quarantine file are what one
    process gives."""
    results = []
    for workers, start in ((0, "fork"), (2, "fork"), (2, "spawn")):
        s = settings.model_copy(
            update={
                "prepare_workers": workers,
                "prepare_min_bytes": 0,
                "data_dir": tmp_path / f"workers-{workers}-{start}",
            }
        )
        context = multiprocessing.get_context(start)
        monkeypatch.setattr(ahead, "worker_context", lambda context=context: context)
        summaries = load_directory(store, population, s, show_progress=False)
        counts = [
            (Path(x.file).name, x.rows_read, x.rows_loaded, x.rows_quarantined, x.fields_blanked)
            for x in summaries
        ]
        quarantine = {p.name: p.read_text() for p in sorted(s.quarantine_dir.iterdir())}
        results.append((digest(store), counts, quarantine))
        store.clear()
        store.setup_schema()
    assert results[0] == results[1] == results[2]
    assert any(n for *_, n, _ in results[0][1])  # the messy sources have rows quarantined


def test_workers_are_forked_unless_other_threads_run() -> None:
    """The CLI's loader runs one thread when its workers start: they are forked, ready in
    milliseconds. With another thread running (a lock it holds would stay held in a forked
    child) they are spawned."""
    script = (
        "import threading, sys\n"
        "from app.ingestion.ahead import worker_context\n"
        "print(worker_context().get_start_method())\n"
        "stop = threading.Event()\n"
        "threading.Thread(target=stop.wait).start()\n"
        "print(worker_context().get_start_method())\n"
        "stop.set()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["fork", "spawn"]


def test_a_worker_that_fails_stops_the_load_with_its_error(tmp_path: Path) -> None:
    """The loader reads a spool while its worker writes it: the worker's own error when it
    failed, and a clear one when it stopped before the end of its file."""
    failed: Future[int] = Future()
    failed.set_exception(ValueError("bad chunk"))
    with pytest.raises(ValueError, match="bad chunk"):
        list(ahead.follow(tmp_path / "never-written.spool", failed))

    cut = tmp_path / "cut.spool"
    cut.write_bytes((100).to_bytes(8, "little") + b"only part of it")
    stopped: Future[int] = Future()
    stopped.set_result(1)
    with pytest.raises(StoreError, match="stopped before the end of its file"):
        list(ahead.follow(cut, stopped))
