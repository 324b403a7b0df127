"""A first households run (no household in the graph yet) on a store with a bulk path writes
its households and memberships by that path (app/households/resolve.py) and leaves the graph
the queries leave; where the store refuses, the queries write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.households import resolve as households
from app.households.resolve import resolve_households
from app.ingestion.batch import load_directory
from app.resolution import batch, placement
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.test_digest import BOOKKEEPING, digest
from tests.writes import counting

AT = "2026-12-05T10:00:00Z"
FIRST = ("household_create", "household_create_members")


def _housed(
    store: GraphStore,
    synthetic: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    *,
    bulk: bool,
    stray_household: bool = False,
) -> tuple[str, dict[str, int], int]:
    """Load, resolve and group on a cleared store: the graph's digest, the rows each
    first-run query sent, and the households made."""
    store.clear()
    store.setup_schema()
    load_directory(store, synthetic, settings, show_progress=False)
    with monkeypatch.context() as m:
        m.setattr(placement, "now_iso", lambda: AT)
        m.setattr(batch, "now_iso", lambda: AT)
        resolve(store, settings, learn(store, settings, seed=3).model)
    if stray_household:  # a household of an earlier run, dissolved: the bulk path must refuse
        store.run_text(
            "CREATE (:Household {householdId: 'HH-stray', status: 'dissolved'})", write=True
        )
    with monkeypatch.context() as m:
        m.setattr(households, "now_iso", lambda: AT)
        if not bulk:
            m.setattr(store, "has_bulk_path", False)
        with counting(store, monkeypatch) as written:
            out = resolve_households(store, settings)
    assert out.multi_member > 0
    return digest(store, BOOKKEEPING), {q: len(written.rows[q]) for q in FIRST}, out.households


def test_a_first_grouping_by_the_bulk_path_leaves_the_graph_the_queries_leave(
    store: GraphStore, synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    by_queries, sent, made = _housed(store, synthetic, settings, monkeypatch, bulk=False)
    assert sent["household_create"] == made and sent["household_create_members"] > made

    by_bulk, sent_bulk, _ = _housed(store, synthetic, settings, monkeypatch, bulk=True)
    assert by_bulk == by_queries
    assert sent_bulk == (dict.fromkeys(FIRST, 0) if store.has_bulk_path else sent)

    # The next run is no first run: what it finds changed goes by the queries.
    store.run_text("MATCH (h:Household) WITH h LIMIT 1 SET h.size = 99", write=True)
    store.run_text("MATCH (s:ResolveState {name: 'households'}) DELETE s", write=True)
    with counting(store, monkeypatch) as again:
        resolve_households(store, settings)
    assert len(again.rows["household_upsert"]) == 1 and not again.rows["household_create"]


def test_where_the_store_refuses_the_bulk_path_the_queries_write_the_same_graph(
    store: GraphStore, synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    by_queries, sent, _ = _housed(
        store, synthetic, settings, monkeypatch, bulk=False, stray_household=True
    )
    by_fallback, sent_fallback, _ = _housed(
        store, synthetic, settings, monkeypatch, bulk=True, stray_household=True
    )
    assert by_fallback == by_queries
    assert sent_fallback == sent
