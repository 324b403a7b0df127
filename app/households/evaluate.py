"""Households against the generator's truth: pairwise precision/recall/F1 of records put in
one household, and how often the decision-maker is the true one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from app.errors import InputError
from app.resolution.evaluate import Scores, pairwise
from app.resolution.truth import read_truth
from app.store import GraphStore


@dataclass
class HouseholdScores:
    records: Scores  # pairs of records in one household
    profiles: Scores  # pairs of profiles (each labelled by its records' majority person)
    decision_maker_accuracy: float  # over true households of 2+ people found in the graph
    decision_maker_households: int
    households_found: int
    true_households: int


def read_people(truth_records: Path) -> pd.DataFrame:
    """truth_people.csv beside truth_records.csv: person_id -> household_id, role."""
    path = truth_records.parent / "truth_people.csv"
    try:
        people = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read household truth {path}: {exc}") from exc
    missing = {"person_id", "household_id", "role"} - set(people.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}")
    return people.set_index("person_id")


@dataclass(frozen=True)
class HouseholdTruth:
    person: pd.Series  # customerId -> person_id (truth_records.csv)
    people: pd.DataFrame  # person_id -> household_id, role (truth_people.csv beside it)


def household_truth(truth_records: Path) -> HouseholdTruth:
    """Both truth files, read (and refused, if bad) before any work is done on them."""
    return HouseholdTruth(read_truth(truth_records), read_people(truth_records))


def evaluate_households(store: GraphStore, truth: HouseholdTruth) -> HouseholdScores:
    person, people = truth.person, truth.people
    rows = pd.DataFrame(
        store.read("household_record_memberships"),
        columns=["customerId", "profileId", "householdId", "role"],
    ).set_index("customerId")
    # In record order, so that a tie (two people with as many records in one profile, two
    # households with as many of a family's records) is broken the same way whatever order
    # the store returned the rows in: the first record's wins.
    rows = rows.sort_index(kind="stable")
    true_household = person.map(people["household_id"])
    rows["person"] = person.reindex(rows.index)
    rows = rows.dropna(subset=["person"])
    by_records = pairwise(rows["householdId"], true_household)

    # A profile stands for the person most of its records belong to.
    majority = rows.groupby("profileId")["person"].agg(lambda s: s.value_counts().index[0])
    profile_household = rows.groupby("profileId")["householdId"].first()
    by_profiles = pairwise(profile_household, majority.map(people["household_id"]))

    # Decision-maker: for each true household of 2+ people, the predicted household holding
    # most of its records; right when that household's decision-maker is the true one.
    rows["trueHousehold"] = rows["person"].map(people["household_id"])
    size = people.groupby("household_id").size()
    deciders = people[people["role"] == "decision_maker"].reset_index()
    truth_dm = deciders.set_index("household_id")["person_id"]
    dm_profile = rows[rows["role"] == "decision_maker"].groupby("householdId")["profileId"].first()
    right = total = 0
    for true_hh, part in rows.groupby("trueHousehold"):
        if size.get(true_hh, 0) < 2:
            continue
        predicted = part["householdId"].value_counts().index[0]
        chosen = dm_profile.get(predicted)
        total += 1
        right += int(chosen is not None and majority.get(chosen) == truth_dm.get(true_hh))
    return HouseholdScores(
        records=by_records,
        profiles=by_profiles,
        decision_maker_accuracy=right / total if total else 1.0,
        decision_maker_households=total,
        households_found=int(rows["householdId"].nunique()),
        true_households=int(rows["trueHousehold"].nunique()),
    )
