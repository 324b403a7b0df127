"""A national ID a household shares: a parent's SSN written on a child's W-2 is weighed as
what families share, not as one person's (app/resolution/family.py)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.settings import Settings
from app.store import GraphStore

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pseudopeople"


def _copied_ssns(folder: Path) -> list[tuple[str, str]]:
    """The pseudopeople fixture with one more W-2 in each census household of two or more
    people with an SSA record: the second member's name and address with the first member's
    SSN, as pseudopeople's noise copies a household member's. Returns (the W-2's record, the
    SSN's owner)."""
    shutil.copytree(FIXTURE, folder)
    census = pd.read_csv(folder / "census_customers.csv", dtype=str)
    ssa = pd.read_csv(folder / "ssa_customers.csv", dtype=str).dropna(subset=["ssn"])
    truth = pd.read_csv(folder / "truth_records.csv", dtype=str)
    person = {(r.source, r.source_key): r.person_id for r in truth.itertuples()}
    ssn_of = {person[("ssa", r.record_id)]: r.ssn for r in ssa.itertuples()}
    rows, copies = [], []
    for _, household in census.groupby("household_id"):
        members = [r for r in household.itertuples() if person[("census", r.record_id)] in ssn_of]
        if len(members) < 2:
            continue
        owner, other = person[("census", members[0].record_id)], members[1]
        key = f"W-COPY{len(rows)}"
        rows.append(
            {
                "record_id": key,
                "ssn": ssn_of[owner],
                "first_name": other.first_name,
                "last_name": other.last_name,
                "mailing_address_street_number": other.street_number,
                "mailing_address_street_name": other.street_name,
                "mailing_address_city": other.city,
                "mailing_address_zipcode": other.zipcode,
            }
        )
        copies.append((f"w2:{key}", owner))
    w2 = pd.read_csv(folder / "w2_customers.csv", dtype=str)
    pd.concat([w2, pd.DataFrame(rows, dtype=str)]).to_csv(folder / "w2_customers.csv", index=False)
    return copies


def _with_owner(
    store: GraphStore, settings: Settings, model: MatchModel, copies: list[tuple[str, str]]
) -> int:
    """Resolve with `model`: how many copied W-2s share a profile with their SSN's owner."""
    resolve(store, settings, model)
    profile = {r["customerId"]: r["profileId"] for r in store.read("profile_memberships")}
    truth = pd.read_csv(FIXTURE / "truth_records.csv", dtype=str)
    owners: dict[str, set[str]] = {}
    for r in truth.itertuples():
        owners.setdefault(r.person_id, set()).add(profile[f"{r.source}:{r.source_key}"])
    return sum(profile[w2] in owners[owner] for w2, owner in copies)


def test_a_household_members_ssn_on_a_w2_joins_its_owner_less_often(
    store: GraphStore, tmp_path: Path
) -> None:
    """Without labels, on pseudopeople's households with 39 W-2s that carry another
    member's SSN: the model learns that family pairs (one surname, first names apart) share
    an SSN far more often than strangers, and weighs an SSN they share less (a household
    weight below 0). Resolved with that weight, fewer of those W-2s land in the SSN owner's
    profile than with the same model without it (the model as it was before)."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    copies = _copied_ssns(tmp_path / "people")
    assert len(copies) == 39
    load_directory(store, tmp_path / "people", settings, show_progress=False)
    model = learn(store, settings).model
    assert model.household["id_nationalId"][0] < 0  # "same", for a family's pair
    household = {k: v for k, v in model.household.items() if k != "id_nationalId"}
    without = _with_owner(store, settings, replace(model, household=household), copies)
    assert _with_owner(store, settings, model, copies) < without
