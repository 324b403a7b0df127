"""Values too common to be evidence (a placeholder date of birth, an identifier of zeros):
found in the training records, kept in the model, and for matching no value at all, in
batch and in real time alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.cli import common_lines
from app.resolution.columns import stack
from app.resolution.common import common_values, too_common
from app.resolution.comparisons import NULL, STANDARD, level_matrix
from app.resolution.fields import derive, derive1
from app.resolution.learning import learn
from app.resolution.model import TOO_COMMON_LEVEL, MatchModel
from app.resolution.realtime import upsert_record
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate

PLACEHOLDER = "1900-01-01"
COMPARED = {c.name: c.levels for c in STANDARD}  # each comparison's levels


def _column(*groups: tuple[str, int]) -> np.ndarray:
    return np.array([v for value, n in groups for v in [value] * n], dtype=object)


def test_a_value_far_commoner_than_the_rest_is_too_common() -> None:
    """Held by more records than 4 times (the default factor) the 99th percentile of the
    values' counts, and than 10."""
    # 1,000 values: 700 held once, 300 twice; the 99th percentile count is 2
    rest = [(f"v{i}", 1 if i < 700 else 2) for i in range(1000)]
    assert too_common(_column(*rest, ("0000000", 60)), 4.0) == {"0000000": 60}
    assert too_common(_column(*rest, ("0000000", 10)), 4.0) == {}
    assert too_common(_column(*rest, ("0000000", 11)), 4.0) == {"0000000": 11}
    # a handful of records: nothing held by 10 or fewer counts as too common
    assert too_common(_column(("a", 9), ("b", 1), ("c", 10)), 4.0) == {}
    # the factor is a setting: 8 times the 99th percentile is 16; 0 turns the check off
    assert too_common(_column(*rest, ("0000000", 16)), 8.0) == {}
    assert too_common(_column(*rest, ("0000000", 17)), 8.0) == {"0000000": 17}
    assert too_common(_column(*rest, ("0000000", 600)), 0.0) == {}
    assert too_common(np.array([None, None], dtype=object), 4.0) == {}


def _births(rng: np.random.Generator, people: int) -> np.ndarray:
    """Dates of birth of `people` people born 1930-2005, 1 January three times as likely
    as another day (births registered late often say 1 January), with 1 to 5 records
    each, as compact dates."""
    days = pd.date_range("1930-01-01", "2005-12-31").strftime("%Y%m%d").to_numpy()
    weight = np.where(np.char.endswith(days.astype(str), "0101"), 3.0, 1.0)
    born = rng.choice(days, size=people, p=weight / weight.sum())
    return np.repeat(born, rng.integers(1, 6, size=people)).astype(object)


@pytest.mark.parametrize("people", [500, 20_000, 300_000])
def test_real_dates_of_birth_are_not_too_common_and_a_placeholder_is(people: int) -> None:
    """At any size: the commonest real date (1 January of a year, of people with five
    records) stays evidence, and a placeholder written for 1% of the records is found."""
    rng = np.random.default_rng(people)
    dates = _births(rng, people)
    assert too_common(dates, 4.0) == {}
    placeholder = np.full(max(len(dates) // 100, 60), "19000101", dtype=object)
    assert too_common(np.concatenate([dates, placeholder]), 4.0) == {"19000101": len(placeholder)}


def _dates_of_birth(dates: np.ndarray) -> dict[str, dict[str, int]]:
    frame = pd.DataFrame(
        {
            "customerId": [f"c:{i}" for i in range(len(dates))],
            "dateOfBirth": [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in dates],
        }
    )
    return common_values(derive(frame), 4.0)


def _by_year(years: int) -> tuple[np.ndarray, list[str]]:
    """Births of 5,000 people, and 150 records more on 1 January of each of `years` years."""
    firsts = [f"{1850 + y}0101" for y in range(years)]
    by_year = np.repeat(np.array(firsts, dtype=object), 150)
    return np.concatenate([_births(np.random.default_rng(years), 5_000), by_year]), firsts


@pytest.mark.parametrize("years", [5, 17])
def test_births_known_by_the_year_are_evidence_and_a_placeholder_among_them_is_not(
    years: int,
) -> None:
    """Splink's historical persons write a birth known by its year as 1 January of it: 17
    years' 1 January were too common, and 6,500 of 50,578 records compared as if they had
    no birth date. Where five or more years' 1 January are too common, they are births
    known by the year and stay evidence; a 1 January far commoner than theirs (more than 4
    times their median) is a placeholder among them."""
    dates, _ = _by_year(years)
    assert _dates_of_birth(dates) == {}
    placeholder = np.full(1_500, "19000101", dtype=object)
    assert _dates_of_birth(np.concatenate([dates, placeholder])) == {"dob": {"19000101": 1_500}}


def test_a_few_years_1_january_too_common_are_placeholders() -> None:
    """Four dates on 1 January, each far commoner than the rest, are what sources write
    where the birth date was not known (1900-01-01, 1901-01-01, 1970-01-01): too common."""
    dates, firsts = _by_year(4)
    assert _dates_of_birth(dates) == {"dob": dict.fromkeys(firsts, 150)}


def test_each_checked_field_has_its_too_common_values_and_no_other() -> None:
    """Dates of birth, e-mails, phones and declared identifiers are checked; names and
    addresses are not (a common surname is evidence the frequencies weigh)."""
    n = 400
    rows = pd.DataFrame(
        {
            "customerId": [f"c:{i}" for i in range(n)],
            "firstName": ["Ann"] * n,
            "lastName": ["Smith"] * n,
            "dateOfBirth": [
                PLACEHOLDER if i % 5 == 0 else f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}"
                for i in range(n)
            ],
            "email": ["none@none.com" if i % 8 == 0 else f"p{i}@example.com" for i in range(n)],
            "phone": [f"+4477009{i:05d}" for i in range(n)],
            "street": ["1 High Street"] * n,
            "id_nationalId": ["9999999" if i < 30 else f"{i:07d}" for i in range(n)],
        }
    )
    assert common_values(derive(rows), 4.0) == {
        "dob": {"19000101": 80},
        "email": {"none@none.com": 50},
        "id_nationalId": {"9999999": 30},
    }


def _compared(common: dict[str, set[str]] | None, *records: dict[str, str]) -> dict:
    cols = stack([derive1(r, common) for r in records])
    levels = level_matrix(STANDARD, cols, [0], [1])[0]
    return {
        c.name: c.levels[lv] if lv != NULL else None for c, lv in zip(STANDARD, levels, strict=True)
    }


def test_a_too_common_value_is_neither_for_nor_against_a_match() -> None:
    common = {"dob": {"19000101"}, "email": {"none@none.com"}}
    ann = {"firstName": "Ann", "lastName": "Fox", "email": "ann.fox@example.com"}
    real = {**ann, "dateOfBirth": "1984-03-12"}
    placeholder = {**ann, "dateOfBirth": PLACEHOLDER, "email": "none@none.com"}
    assert _compared(None, real, placeholder)["dateOfBirth"] == "different"
    assert _compared(common, real, placeholder)["dateOfBirth"] is None
    assert _compared(common, real, placeholder)["email"] is None
    assert _compared(None, placeholder, placeholder)["dateOfBirth"] == "same"
    assert _compared(common, placeholder, placeholder)["dateOfBirth"] is None
    assert _compared(common, real, real)["dateOfBirth"] == "same"


def test_the_training_lines_name_each_field_and_its_commonest_values() -> None:
    found = {
        "dob": {"19000101": 1012, "19700101": 40},
        "id_nationalId": {f"{i:07d}": 20 + i for i in range(7)},
    }
    assert common_lines(found) == [
        "  too common to be evidence, compared as missing: date of birth "
        "1900-01-01 (1,012 records), 1970-01-01 (40 records)",
        "  too common to be evidence, compared as missing: nationalId "
        "0000006 (26 records), 0000005 (25 records), 0000004 (24 records), "
        "0000003 (23 records), 0000002 (22 records) and 2 more",
    ]


@pytest.fixture
def placeholders(store: GraphStore, tmp_path: Path) -> tuple[Settings, MatchModel, list[str]]:
    """A synthetic population whose CRM wrote 1900-01-01 for every fourth date of birth
    (from the second), loaded, trained without labels and resolved; the records holding
    the placeholder."""
    out = tmp_path / "synth"
    generate(SynthConfig(people=200, seed=21), out, "csv")
    path = out / "crm_customers.csv"
    crm = pd.read_csv(path, dtype=str, keep_default_na=False)
    crm.loc[crm.index % 4 == 1, "birth_date"] = PLACEHOLDER
    crm.to_csv(path, index=False)
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, out, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings).model
    model.save(settings.model_file)
    resolve(store, settings, model)
    held = sorted(f"crm:{k}" for k in crm.loc[crm.index % 4 == 1, "crm_id"])
    return settings, model, held


def _fields_of_edges(store: GraphStore, ids: list[str]) -> list[dict[str, tuple[str, float]]]:
    """Each stored edge's explanation: field -> (level, weight); the prior and the weights
    add up to the edge's log-odds, too common fields (weight 0.0) and all."""
    rows = store.read(
        "api_customer_matches", ids=ids, min=0.0, afterP=None, afterId=None, limit=1000
    )
    out = []
    for r in rows:
        why = json.loads(r["match"]["explanation"])
        fields = {f["field"]: (f["level"], f["weight"]) for f in why["fields"]}
        assert why["prior"] + sum(w for _, w in fields.values()) == pytest.approx(
            r["match"]["logit"], abs=1e-9
        )
        out.append(fields)
    return out


TOO_COMMON = (TOO_COMMON_LEVEL, 0.0)  # what an explanation says of such a field


def test_a_placeholder_date_is_no_evidence_in_batch_and_in_real_time(
    store: GraphStore, placeholders: tuple[Settings, MatchModel, list[str]]
) -> None:
    settings, model, held = placeholders
    assert model.common == {"dob": frozenset({"19000101"})}
    saved = MatchModel.load(settings.model_file)
    assert saved.common == model.common and saved.version == model.version
    assert saved.report["commonValues"] == {"dob": {"19000101": len(held)}}
    # batch: no stored edge of a record holding it compares dates of birth, and each says
    # why (a steward would otherwise wonder why two records that both say 1900-01-01 did
    # not agree by it)
    edges = _fields_of_edges(store, held)
    assert edges and all(fields["dateOfBirth"] == TOO_COMMON for fields in edges)
    # real time: a new record of a resolved person with the placeholder joins their
    # profile, and its edges do not compare dates of birth either
    known = store.read_one("realtime_known_person")
    assert known is not None and known["dateOfBirth"] != PLACEHOLDER
    result = upsert_record(
        store,
        settings,
        model,
        "webshop",
        {
            "sourceKey": "RT-PH",
            "fullName": f"{known['firstName']} {known['lastName']}",
            "email": known["email"],
            "dateOfBirth": PLACEHOLDER,
        },
    )
    assert result.profile_id == known["profileId"]
    assert known["customerId"] in [other for other, _ in result.matches]
    edges = _fields_of_edges(store, ["webshop:RT-PH"])
    assert edges and all(fields["dateOfBirth"] == TOO_COMMON for fields in edges)
    assert all(fields["email"][0] in COMPARED["email"] for fields in edges)
