"""Real time where mappings declare identifiers (pseudopeople's small town,
tests/fixtures/pseudopeople: the SSN as `nationalId`), on every backend."""

from __future__ import annotations

from pathlib import Path

from app import flows
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.settings import Settings
from app.store import GraphStore

TOWN = Path(__file__).resolve().parents[1] / "fixtures" / "pseudopeople"


def test_a_record_among_records_without_the_declared_identifier_is_placed(
    store: GraphStore, tmp_path: Path
) -> None:
    """A W-2 record with only a first name, sent in real time: the records it is compared
    with have no SSN. The model weighs an SSN agreeing by its frequency, and the upsert
    failed reading that column from records that lack it; now the record is placed, as a
    batch run then places it too."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, TOWN, settings, show_progress=False)
    model = learn(store, settings).model
    resolve(store, settings, model)
    placed = flows.upsert(
        store, settings, model, "w2", {"sourceKey": "X-1", "firstName": "Ann"}, "t"
    )
    assert placed.result.action == "founded"
    resolve(store, settings, model)
    (row,) = store.read("profile_memberships_of", ids=["w2:X-1"])
    assert row["profileId"] == placed.result.profile_id
