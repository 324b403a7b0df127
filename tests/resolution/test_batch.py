"""Batch resolution end to end on a small synthetic population, on every backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import candidate_pairs
from app.resolution.cluster import attach_sparse
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
    assert list(first.seconds) == [
        "read",
        "write block keys",
        "block",
        "score",
        "cluster",
        "write edges",
        "write profiles",
    ]
    assert all(s >= 0 for s in first.seconds.values())
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


def _add(store: GraphStore, key: str, **props: str) -> str:
    cid = f"callcenter:{key}"
    base = {"source": "callcenter", "sourceKey": key, "updatedAt": "2026-01-01T00:00:00"}
    store.write("upsert_customers", rows=[{"customerId": cid, "props": {**base, **props}}])
    return cid


def test_sparse_records_join_only_on_strong_evidence(
    store: GraphStore, loaded: tuple[Settings, MatchModel]
) -> None:
    settings, model = loaded
    # One person with a name nobody else has, known to the CRM with everything, and a call
    # that caught only the name.
    full = {"firstName": "Zebulon", "lastName": "Quattlebaum", "dateOfBirth": "1961-04-09",
            "email": "zq@example.org", "phone": "+447700900123", "postcode": "EH1 1AA"}  # fmt: skip
    rare = _add(store, "Z-FULL", **full)
    rare_call = _add(store, "Z-CALL", firstName="Zebulon", lastName="Quattlebaum")
    nothing = _add(store, "NOTHING", gender="F")

    summary = resolve(store, settings, model)
    after = memberships(store)
    assert summary.sparse >= 2
    assert after[rare_call] == after[rare]  # a rare name is enough for a name-only call
    assert (after == after[nothing]).sum() == 1  # no identifying fact: alone, and flagged
    (flagged,) = store.read("api_profiles", ids=[after[nothing]])
    assert flagged["profile"]["sparse"] is True

    # Operators who want sparse records never merged say so.
    strict = settings.model_copy(update={"sparse_threshold": 1.01})
    resolve(store, strict, model)
    assert memberships(store)[rare_call] != memberships(store)[rare]


def test_a_sparse_record_joins_one_cluster_or_none() -> None:
    # Records 0-3 are clustered (0+1 one person, 2 and 3 others); 4, 5, 6 are sparse calls.
    labels = np.array([0, 0, 2, 3, 4, 5, 6])
    sparse = np.array([False] * 4 + [True] * 3)
    pairs = [
        (0, 4, 0.97), (1, 4, 0.95),  # 4 matches one person only: joins cluster 0
        (0, 5, 0.97), (2, 5, 0.96),  # 5 matches two people (a shared name): joins neither
        (3, 6, 0.6),  # 6 matches one person, but not surely enough
        (4, 5, 0.99),  # two sparse records never link each other
    ]  # fmt: skip
    left, right, p = (np.array(c) for c in zip(*pairs, strict=True))
    out = attach_sparse(labels, left, right, p, sparse, threshold=0.25, sparse_threshold=0.9)
    assert out.tolist() == [0, 0, 2, 3, 0, 5, 6]
