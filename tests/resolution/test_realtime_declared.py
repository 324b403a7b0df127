"""Real time where mappings declare identifiers (pseudopeople's small town,
tests/fixtures/pseudopeople: the SSN as `nationalId`), on every backend."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from app import flows
from app.ingestion.batch import load_directory
from app.ingestion.dates import read_date
from app.ingestion.mapping import Mapping, load_mapping
from app.ingestion.rows import attr_property
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.profiles import Churn
from app.resolution.realtime import MAX_ATTRIBUTES
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


def _as_sent(row: dict[str, str], mapping: Mapping) -> dict[str, str]:
    """A file's row as a source system sends it in real time: canonical fields (the
    mapping's columns joined as a file's are), identifiers by type, attributes by property,
    dates in ISO 8601 (a date the mapping's formats cannot read goes as written)."""
    out: dict[str, str] = {}
    for target in mapping.targets:
        parts = [row[c] for c in mapping.sources_of(target) if isinstance(row.get(c), str)]
        if parts:
            out[target] = " ".join(parts)
    if "dateOfBirth" in out:
        read = read_date(out["dateOfBirth"], mapping.formats.get("dateOfBirth"))
        out["dateOfBirth"] = read.date().isoformat() if read else out["dateOfBirth"]
    for column, name in mapping.attributes.items():
        if isinstance(row.get(column), str):
            out[attr_property(name)] = row[column]
    return {**out, **mapping.defaults}


def test_records_of_the_town_sent_in_real_time_are_placed_as_batch_places_them(
    store: GraphStore, tmp_path: Path
) -> None:
    """Every sixth record of each of the town's files held back, the rest loaded, trained
    without labels and resolved; the held-back records then sent one by one in real time,
    with their SSNs and attributes: a batch run over the whole moves no record and changes
    no ID."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    folder, held = tmp_path / "town", []
    shutil.copytree(TOWN, folder)
    for source in ("census", "ssa", "w2"):
        path = folder / f"{source}_customers.csv"
        rows = pd.read_csv(path, dtype=str)
        rows[rows.index % 6 != 0].to_csv(path, index=False)
        mapping = load_mapping(folder / f"{source}.customers.yaml")
        held += [
            (source, _as_sent(r, mapping)) for r in rows[rows.index % 6 == 0].to_dict("records")
        ]
    load_directory(store, folder, settings, show_progress=False)
    model = learn(store, settings).model
    resolve(store, settings, model)
    for source, record in held:
        flows.upsert(store, settings, model, source, record, "t")
    before = {r["customerId"]: r["profileId"] for r in store.read("profile_memberships")}
    assert len(held) == 55
    assert {f"{source}:{r['sourceKey']}" for source, r in held} <= set(before)
    summary = resolve(store, settings, model)
    assert summary.churn == Churn(kept=summary.profiles)
    assert {r["customerId"]: r["profileId"] for r in store.read("profile_memberships")} == before


def test_an_update_of_a_record_with_more_attributes_than_an_update_sends_keeps_them(
    store: GraphStore, tmp_path: Path
) -> None:
    """A mapping keeps as many attributes as it has columns (here 120); an update in real
    time sends at most MAX_ATTRIBUTES, and the record it makes with the stored ones is not
    held to that: a partial update loads, every attribute kept."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    folder = tmp_path / "town"
    shutil.copytree(TOWN, folder)
    extra = {f"a{i}": f"v{i}" for i in range(MAX_ATTRIBUTES + 20)}
    pd.DataFrame([{"id": "S1", "first": "Ann", "last": "Lee", **extra}]).to_csv(
        folder / "shop_customers.csv", index=False
    )
    (folder / "shop.customers.yaml").write_text(
        "source: shop\nkind: customers\ncolumns:\n  id: sourceKey\n  first: firstName\n"
        f"  last: lastName\nattributes: {list(extra)}\n"
    )
    load_directory(store, folder, settings, show_progress=False)
    model = learn(store, settings).model
    resolve(store, settings, model)
    flows.upsert(store, settings, model, "shop", {"sourceKey": "S1", "firstName": "Anne"}, "t")
    (row,) = store.run_text(
        "MATCH (c:Customer {customerId: 'shop:S1'}) RETURN properties(c) AS p", write=False
    )[0]
    assert row["p"]["firstName"] == "Anne"
    assert {k: v for k, v in row["p"].items() if k.startswith("attr_")} == {
        f"attr_{k}": v for k, v in extra.items()
    }
