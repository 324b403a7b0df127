"""The metrics batch writes only what changed (issue 18): a re-run on unchanged data writes
nothing and leaves the graph as it was; one interaction added and one record moved to
another profile write exactly the profiles they touch, with the values a run from scratch
gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.ingestion.batch import load_directory
from app.metrics import registry
from app.metrics.compute import run
from app.metrics.events import interaction_row
from app.metrics.storage import PREFIX, SUFFIXES
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from bench.households import one_profile_per_person
from tests.ingestion.test_digest import digest
from tests.writes import counting

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("metrics-rerun")
    generate(SynthConfig(people=150, seed=11), out, "csv")
    return out


def _values(store: GraphStore) -> dict[str, dict[str, Any]]:
    """Every profile's current metric values (not histories, trends or state, which record
    the order of runs)."""
    companions = tuple(f"_{s}" for s in SUFFIXES)
    rows, _ = store.run_text(
        "MATCH (p:Profile) RETURN p.profileId AS id, properties(p) AS props", write=False
    )
    return {
        r["id"]: {
            k: v
            for k, v in r["props"].items()
            if k.startswith(PREFIX) and not k.endswith(companions) and k != "dnaState"
        }
        for r in rows
    }


def test_a_rerun_writes_nothing_and_a_change_writes_what_it_touches(
    store: GraphStore,
    backend_settings: Settings,
    synthetic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = backend_settings.model_copy(update={"data_dir": tmp_path / "data"})
    load_directory(store, synthetic, settings, show_progress=False)
    one_profile_per_person(store, settings, synthetic / "truth_records.csv")
    defs = registry.running(settings)
    first = run(store, settings, defs, NOW)
    assert first.profiles_written == first.profiles == 150
    after_first = digest(store)

    with counting(store, monkeypatch) as again:
        rerun = run(store, settings, defs, NOW)
    assert (again.count, again.summary.properties_set, rerun.changes) == (0, 0, [])
    assert digest(store) == after_first

    # One purchase by a record of one profile; another profile's busiest record moves to a
    # third profile.
    rows, _ = store.run_text(
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile) "
        "OPTIONAL MATCH (c)-[:PERFORMED]->(i:Interaction) "
        "WITH c, p, count(i) AS n ORDER BY n DESC, c.customerId "
        "RETURN c.customerId AS customer, p.profileId AS profile, n",
        write=False,
    )
    mover = rows[0]
    buyer = next(r for r in rows if r["profile"] != mover["profile"])
    target = next(r for r in rows if r["profile"] not in (mover["profile"], buyer["profile"]))
    assert mover["n"] > 0
    source, key = str(buyer["customer"]).split(":", 1)
    purchase = interaction_row(source, key, "purchase", "2025-12-31T10:00:00", "web", 25.0, "E1")
    store.write("upsert_interactions", rows=[purchase])
    moved = [{"customerId": mover["customer"], "profileId": target["profile"], "confidence": 1.0}]
    store.write("unlink_moved_customers", rows=moved)
    store.write("link_profiles", rows=moved)

    with counting(store, monkeypatch) as changed:
        run(store, settings, defs, NOW)
    written = changed.ids("metrics_write", "profileId")
    assert written == {buyer["profile"], mover["profile"], target["profile"]}
    assert set(changed.rows) == {"metrics_write"}
    incremental = _values(store)

    store.write("metrics_bench_reset")  # forget every metric: a run from scratch
    run(store, settings, defs, NOW)
    assert _values(store) == incremental
