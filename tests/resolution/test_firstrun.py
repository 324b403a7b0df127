"""A first resolve on a store with a bulk path writes its profiles, memberships and match
edges by that path (app/resolution/firstrun.py) and leaves the graph the queries leave;
where the store refuses, the queries write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingestion.batch import load_directory
from app.resolution import batch, placement
from app.resolution.batch import resolve
from app.resolution.firstrun import HELD
from app.resolution.learning import learn
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from tests.ingestion.test_digest import BOOKKEEPING, digest
from tests.writes import counting

AT = "2026-12-04T10:00:00Z"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Messy sources: shared addresses, sparse records, people in several sources."""
    out = tmp_path_factory.mktemp("firstrun")
    generate(SynthConfig(people=150, seed=29, mess=2.0), out, "csv")
    return out


def _resolved(
    store: GraphStore,
    population: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    *,
    bulk: bool,
    stray_profile: bool = False,
) -> tuple[str, dict[str, int]]:
    """Load, train and resolve on a cleared store; the graph's digest and the rows each
    held query sent."""
    store.clear()
    store.setup_schema()
    load_directory(store, population, settings, show_progress=False, kinds=("customers",))
    if stray_profile:  # a profile no record resolves to: the bulk path must refuse
        store.run_text("CREATE (:Profile {profileId: 'p-stray', status: 'active'})", write=True)
    model = learn(store, settings, seed=3).model
    with monkeypatch.context() as m:
        m.setattr(placement, "now_iso", lambda: AT)
        m.setattr(batch, "now_iso", lambda: AT)
        if not bulk:
            m.setattr(store, "has_bulk_path", False)
        with counting(store, monkeypatch) as written:
            summary = resolve(store, settings, model)
    assert summary.profiles < summary.records
    # The record of the last run is left out: its summary holds the stages' seconds.
    return digest(store, BOOKKEEPING), {name: len(written.rows[name]) for name in HELD}


def test_a_first_resolve_by_the_bulk_path_leaves_the_graph_the_queries_leave(
    store: GraphStore, population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    by_queries, sent = _resolved(store, population, settings, monkeypatch, bulk=False)
    assert all(sent.values()), sent

    by_bulk, sent_bulk = _resolved(store, population, settings, monkeypatch, bulk=True)
    assert by_bulk == by_queries
    if store.has_bulk_path:
        assert sent_bulk == dict.fromkeys(HELD, 0)  # none of them by a query
    else:
        assert sent_bulk == sent

    # A second resolve of other data is no first run: it writes by queries.
    extra = {"source": "crm", "sourceKey": "NEW-1", "firstName": "Zed", "lastName": "Quill"}
    store.run_text(
        "CREATE (:Customer {customerId: 'crm:NEW-1', source: $source, sourceKey: $sourceKey, "
        "firstName: $firstName, lastName: $lastName})",
        extra,
        write=True,
    )
    with counting(store, monkeypatch) as again:
        resolve(store, settings, learn(store, settings, seed=3).model)
    assert again.ids("link_profiles", "customerId") >= {"crm:NEW-1"}


def test_where_the_store_refuses_the_bulk_path_the_queries_write_the_same_graph(
    store: GraphStore, population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile already in the graph (left by an interrupted run, say): GRAPH.BULK may not
    add nodes of its label, so the profiles and memberships go by their queries. The match
    edges, relationships between records already there, went by the bulk path before
    placement."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    by_queries, sent = _resolved(
        store, population, settings, monkeypatch, bulk=False, stray_profile=True
    )
    by_fallback, sent_fallback = _resolved(
        store, population, settings, monkeypatch, bulk=True, stray_profile=True
    )
    assert by_fallback == by_queries
    if store.has_bulk_path:
        assert sent_fallback == {**sent, "upsert_matches": 0}
    else:
        assert sent_fallback == sent


def test_a_first_resolve_asks_no_used_ids_and_a_later_one_never_reuses_a_retired_id(
    store: GraphStore, population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no profile in the graph, new profiles' IDs are not checked against used ones
    (the check would wait for the blocking keys' index builds); with a retired profile in
    it, the cluster that would have had its ID gets another."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    asked: list[str] = []
    read = store.read

    def spied(name: str, **params: object) -> list[dict[str, object]]:
        asked.append(name)
        return read(name, **params)

    def members() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in read("profile_memberships"):
            out.setdefault(r["profileId"], set()).add(r["customerId"])
        return out

    def loaded() -> None:
        store.clear()
        store.setup_schema()
        load_directory(store, population, settings, show_progress=False, kinds=("customers",))

    loaded()
    model = learn(store, settings, seed=3).model
    monkeypatch.setattr(store, "read", spied)
    resolve(store, settings, model)
    assert "profile_any" in asked
    assert "profile_ids_taken" not in asked
    first = members()
    retired = min(first)

    loaded()
    store.run_text(
        "CREATE (:Profile {profileId: $id, status: 'retired'})", {"id": retired}, write=True
    )
    asked.clear()
    resolve(store, settings, model)
    assert "profile_ids_taken" in asked
    again = members()
    assert retired not in again
    moved = {pid for pid in again if pid not in first}
    assert len(moved) == 1
    assert again[moved.pop()] == first[retired]
    assert {pid: m for pid, m in again.items() if pid in first} == {
        pid: m for pid, m in first.items() if pid != retired
    }
