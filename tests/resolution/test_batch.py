"""Batch resolution end to end on a small synthetic population, on every backend."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import candidate_pairs
from app.resolution.evaluate import pairwise
from app.resolution.model import MatchModel, train
from app.resolution.records import load_records
from app.resolution.stewards import decide
from app.resolution.truth import labels_from_truth, read_truth
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(people=400, seed=11), out, "csv")
    return out


@pytest.fixture
def loaded(store: GraphStore, population: Path, tmp_path: Path) -> tuple[Settings, MatchModel]:
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, population, settings, show_progress=False)
    records = load_records(store)
    truth = read_truth(population / "truth_records.csv")
    model = train(labels_from_truth(records, candidate_pairs(records), truth, 300, seed=1))
    return settings, model


def memberships(store: GraphStore) -> pd.Series:
    rows = store.read("profile_memberships")
    return pd.Series({r["customerId"]: r["profileId"] for r in rows})


def test_resolution_finds_people_and_rerun_keeps_ids(
    store: GraphStore, loaded: tuple[Settings, MatchModel], population: Path
) -> None:
    settings, model = loaded
    first = resolve(store, settings, model)
    truth = read_truth(population / "truth_records.csv")
    scores = pairwise(memberships(store), truth)
    assert scores.f1 > 0.9, scores
    assert first.match_edges > 0 and first.profiles < first.records
    before = memberships(store)
    again = resolve(store, settings, model)
    assert again.kept_ids == again.profiles and again.new_ids == 0
    pd.testing.assert_series_equal(memberships(store).sort_index(), before.sort_index())


def test_steward_decisions_survive_a_rerun(
    store: GraphStore, loaded: tuple[Settings, MatchModel]
) -> None:
    settings, model = loaded
    resolve(store, settings, model)
    members = memberships(store)
    together = members[members.duplicated(keep=False)].sort_values()
    a, b = together.index[0], together[together == together.iloc[0]].index[1]
    apart = members.drop_duplicates(keep=False)
    c, d = apart.index[0], apart.index[1]

    decide(store, settings, a, b, "rejected", actor="steward-1", reason="different DOB on ID")
    decide(store, settings, c, d, "confirmed", actor="steward-1", reason="same passport")
    resolve(store, settings, model)
    after = memberships(store)
    assert after[a] != after[b]
    assert after[c] == after[d]
    edge = store.read_one("match_edge", a=min(a, b), b=max(a, b))
    assert edge is not None and edge["status"] == "rejected" and edge["method"] == "steward"
    audit, _ = store.run_text(
        "MATCH (e:AuditEvent)-[:CONCERNS]->(c:Customer) RETURN e.action AS action, "
        "e.actor AS actor, count(c) AS n ORDER BY action",
        write=False,
    )
    assert audit == [
        {"action": "confirmMatch", "actor": "steward-1", "n": 2},
        {"action": "rejectMatch", "actor": "steward-1", "n": 2},
    ]
    labels = settings.labels_file.read_text()
    assert '"distinct"' in labels and '"match"' in labels


def test_one_percent_new_records_keep_profile_ids(
    store: GraphStore, loaded: tuple[Settings, MatchModel], population: Path, tmp_path: Path
) -> None:
    settings, model = loaded
    resolve(store, settings, model)
    before = memberships(store)
    # 1% more records: re-registrations of known people in the CRM under new keys.
    crm = pd.read_csv(population / "crm_customers.csv", dtype=str).dropna(subset=["crm_id"])
    extra = crm.sample(n=max(1, len(before) // 100), random_state=3)
    extra["crm_id"] = "NEW-" + extra["crm_id"]
    new_file = tmp_path / "crm_customers.csv"
    extra.to_csv(new_file, index=False)
    load_directory(store, tmp_path, settings, show_progress=False, kinds=("customers",))
    summary = resolve(store, settings, model)
    after = memberships(store)
    old_ids = set(before.unique())
    kept = old_ids & set(after.unique())
    assert len(kept) >= 0.98 * len(old_ids)
    # Each re-registration joined the profile its original record is in.
    joined = sum(after["crm:NEW-" + k] == after["crm:" + k] for k in extra["crm_id"].str[4:])
    assert joined >= 0.9 * len(extra)
    assert summary.retired_ids <= 0.02 * len(old_ids)
