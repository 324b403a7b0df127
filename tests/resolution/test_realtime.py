"""One record resolved in real time against a resolved population."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import InputError
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import candidate_pairs
from app.resolution.model import MatchModel, train
from app.resolution.realtime import upsert_record
from app.resolution.records import load_records
from app.resolution.truth import labels_from_truth, read_truth
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate


@pytest.fixture
def resolved(falkor_store: GraphStore, tmp_path: Path) -> tuple[Settings, MatchModel]:
    out = tmp_path / "synth"
    generate(SynthConfig(people=200, seed=21), out, "csv")
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(falkor_store, out, settings, show_progress=False)
    records = load_records(falkor_store)
    truth = read_truth(out / "truth_records.csv")
    model = train(labels_from_truth(records, candidate_pairs(records), truth, 200, seed=2))
    resolve(falkor_store, settings, model)
    return settings, model


def test_new_record_of_a_known_person_joins_their_profile(
    falkor_store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    known = falkor_store.read_one("realtime_known_person")
    assert known is not None
    result = upsert_record(
        falkor_store, settings, model, "webshop",
        {"sourceKey": "RT-1", "fullName": f"{known['firstName']} {known['lastName']}",
         "email": known["email"], "dateOfBirth": known["dateOfBirth"]},
    )  # fmt: skip
    assert result.action in {"joined", "bridged"}
    assert result.profile_id == known["profileId"] or known["profileId"] in result.retired
    assert any(other == known["customerId"] for other, _ in result.matches)


def test_stranger_founds_a_profile_and_bad_input_is_refused(
    falkor_store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    result = upsert_record(
        falkor_store, settings, model, "crm",
        {"sourceKey": "RT-2", "firstName": "Zebedee", "lastName": "Quillfeather",
         "dateOfBirth": "1911-11-11", "email": "zq@example.org"},
    )  # fmt: skip
    assert result.action == "founded" and result.matches == []
    again = upsert_record(
        falkor_store, settings, model, "crm",
        {"sourceKey": "RT-2", "firstName": "Zebedee", "lastName": "Quillfeather",
         "dateOfBirth": "1911-11-11", "email": "zq@example.org"},
    )  # fmt: skip
    assert again.profile_id == result.profile_id  # an unchanged record stays where it is
    with pytest.raises(InputError, match="invalid email"):
        upsert_record(falkor_store, settings, model, "crm", {"sourceKey": "RT-3", "email": "x@"})
    with pytest.raises(InputError, match="unknown field"):
        upsert_record(falkor_store, settings, model, "crm", {"sourceKey": "RT-4", "shoe": "9"})


ONE_WRITE = ["read realtime_candidates", "read realtime_candidate_context", "write realtime_write"]


def test_a_join_or_a_new_profile_is_two_reads_and_one_write(
    falkor_store: GraphStore, resolved: tuple[Settings, MatchModel], monkeypatch
) -> None:
    """The latency of the real-time path is mostly store round trips: a record that joins a
    profile or founds one costs the candidate read, the context read and one write."""
    settings, model = resolved
    calls: list[str] = []
    for method in ("read", "write"):
        inner = getattr(falkor_store, method)

        def counted(name, _inner=inner, _method=method, **params):
            calls.append(f"{_method} {name}")
            return _inner(name, **params)

        monkeypatch.setattr(falkor_store, method, counted)
    known = falkor_store.read_one("realtime_known_person")
    calls.clear()
    joined = upsert_record(
        falkor_store, settings, model, "webshop",
        {"sourceKey": "RT-9", "firstName": known["firstName"], "lastName": known["lastName"],
         "email": known["email"], "dateOfBirth": known["dateOfBirth"]},
    )  # fmt: skip
    assert joined.action in {"joined", "bridged"}
    # a bridge writes more afterwards (moves, retirements)
    assert calls[:3] == ONE_WRITE and (joined.action == "bridged" or len(calls) == 3)
    calls.clear()
    founded = upsert_record(
        falkor_store, settings, model, "crm",
        {"sourceKey": "RT-10", "firstName": "Ottoline", "lastName": "Brackenbury",
         "dateOfBirth": "1922-02-22", "email": "ob@example.org"},
    )  # fmt: skip
    assert founded.action == "founded"
    assert calls == ONE_WRITE
    monkeypatch.undo()
    row = falkor_store.read_one("realtime_candidate_context", ids=["crm:RT-10"], me="crm:RT-10")
    assert row is not None and row["profileId"] == founded.profile_id and row["size"] == 1


def test_a_record_known_only_from_its_interactions_is_filled_in_and_placed(
    falkor_store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """Interactions of a record not loaded yet make a stub; the record arriving in real time
    fills it in, and from then on batch resolution reads it like any other."""
    from app.metrics.events import interaction_row

    settings, model = resolved
    falkor_store.write("upsert_interactions", rows=[
        interaction_row("crm", "RT-STUB", "purchase", "2025-03-01T10:00:00", "web", 9.5, "S1")
    ])  # fmt: skip
    assert "crm:RT-STUB" not in load_records(falkor_store).index
    result = upsert_record(
        falkor_store, settings, model, "crm",
        {"sourceKey": "RT-STUB", "firstName": "Peregrine", "lastName": "Fairweather",
         "dateOfBirth": "1933-03-03", "email": "pf@example.org"},
    )  # fmt: skip
    assert result.action == "founded"
    records = load_records(falkor_store)
    assert records.loc["crm:RT-STUB", "lastName"] == "Fairweather"
