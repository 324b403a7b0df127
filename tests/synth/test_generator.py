"""The synthetic generator: determinism, ground truth, formats, mess and mappings."""

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from app.ingestion.fields import FIELDS
from app.synth import SynthConfig, generate
from app.synth.interactions import INTERACTION_COLUMNS
from app.synth.output import Format
from app.synth.pools import NICKNAMES
from app.synth.sources import CUSTOMER_COLUMNS, SOURCES

PEOPLE = 300
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAPPINGS = Path(__file__).resolve().parents[2] / "app" / "ingestion" / "mappings"
KEY_COLUMN = {s: cols[0] for s, cols in CUSTOMER_COLUMNS.items()}
POSTCODE_COLUMN = {"crm": "postcode", "webshop": "ship_zip", "loyalty": "zip"}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    generate(SynthConfig(people=PEOPLE, seed=7), out)
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(SynthConfig(people=PEOPLE, seed=7, mess=0), out)
    return out


def truth_people(out: Path) -> pd.DataFrame:
    return read(out / "truth_people.csv").set_index("person_id")


def with_truth(out: Path, source: str) -> pd.DataFrame:
    """A source's customers joined to their true person through the file row."""
    records = read(out / "truth_records.csv")
    mine = records[records.source == source]
    assert mine.row.astype(int).tolist() == list(range(len(mine)))
    frame = read(out / f"{source}_customers.csv")
    frame["person_id"] = mine.person_id.to_numpy()
    return frame.join(truth_people(out).add_suffix("_true"), on="person_id")


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, messy: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    summary = generate(SynthConfig(people=PEOPLE, seed=7), again)
    generate(SynthConfig(people=PEOPLE, seed=8), other)
    assert len(summary.files) == 2 * len(SOURCES) + 3
    for file in summary.files:
        assert file.read_bytes() == (messy / file.name).read_bytes(), file.name
    assert (other / "crm_customers.csv").read_bytes() != (messy / "crm_customers.csv").read_bytes()


def test_households_and_decision_makers(messy: Path) -> None:
    households = read(messy / "truth_households.csv")
    people = read(messy / "truth_people.csv")
    sizes = households["size"].astype(int)
    assert sizes.between(1, 6).all()
    assert sizes.sum() == len(people) == PEOPLE
    assert (sizes == 1).mean() > 0.15  # skewed small
    counted = people.groupby("household_id").size()
    assert (counted.loc[households.household_id].to_numpy() == sizes.to_numpy()).all()
    deciders = people[people.role == "decision_maker"]
    assert deciders.household_id.is_unique and len(deciders) == len(households)
    assert set(deciders.person_id) == set(households.decision_maker)


def test_every_record_is_in_the_truth(messy: Path) -> None:
    records = read(messy / "truth_records.csv")
    people = read(messy / "truth_people.csv")
    assert set(records.person_id) == set(people.person_id)  # everyone is somewhere
    for source in SOURCES:
        frame = read(messy / f"{source}_customers.csv")
        mine = records[records.source == source]
        assert len(mine) == len(frame)
        assert mine.source_key.tolist() == frame[KEY_COLUMN[source]].tolist()
        keys = mine.source_key[mine.source_key != ""]
        assert keys.is_unique
    per_person = records.groupby("person_id").source.nunique()
    assert per_person.between(1, 4).all()
    assert 2.3 < len(records) / PEOPLE < 3.3


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_each_format_reads_with_expected_columns(tmp_path: Path, fmt: Format) -> None:
    summary = generate(SynthConfig(people=60, seed=3), tmp_path, fmt)
    readers: dict[str, Callable[[Path], pd.DataFrame]] = {
        "csv": pd.read_csv,
        "jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
        "parquet": pd.read_parquet,
    }
    for source in SOURCES:
        customers = readers[fmt](tmp_path / f"{source}_customers.{fmt}")
        events = readers[fmt](tmp_path / f"{source}_interactions.{fmt}")
        assert list(customers.columns) == list(CUSTOMER_COLUMNS[source])
        assert list(events.columns) == list(INTERACTION_COLUMNS)
        assert len(customers) == summary.counts[f"{source}_customers.{fmt}"] > 0
        assert len(events) == summary.counts[f"{source}_interactions.{fmt}"]


def test_interactions_point_at_customers_within_the_year(clean: Path) -> None:
    for source in SOURCES:
        keys = set(read(clean / f"{source}_customers.csv")[KEY_COLUMN[source]])
        events = read(clean / f"{source}_interactions.csv")
        assert events.event_id.is_unique
        assert set(events.customer_key) <= keys
        ts = pd.to_datetime(events.ts, format="%Y-%m-%dT%H:%M:%S")
        assert ts.min() >= pd.Timestamp("2025-01-01") and ts.max() < pd.Timestamp("2026-01-01")
    crm = read(clean / "crm_interactions.csv")
    usage = crm[crm.type == "data_usage"]
    assert len(usage) > 0 and (usage.account_no != "").all() and (usage.amount != "").all()


def test_mess_is_present(messy: Path) -> None:
    nick = typo = 0
    for source, first in (("crm", "first_name"), ("loyalty", "fname")):
        frame = with_truth(messy, source)
        changed = frame[(frame[first] != frame.first_name_true) & (frame[first] != "")]
        pairs = zip(changed[first], changed.first_name_true, strict=True)
        nick += sum(f in NICKNAMES.get(t, ()) for f, t in pairs)
        typo += len(changed)
    assert nick > 0 and typo > nick
    crm = read(messy / "crm_customers.csv")
    assert (crm.email == "").any() and (crm.birth_date == "").any()
    assert crm.phone.str.startswith("+44").any() and not crm.phone.str.startswith("+44").all()
    web = read(messy / "webshop_customers.csv")
    assert web.full_name.str.contains(",").any() and web.full_name.str.islower().any()


def test_mess_zero_is_clean(clean: Path) -> None:
    for source in SOURCES:
        frame = read(clean / f"{source}_customers.csv")
        assert (frame[KEY_COLUMN[source]] != "").all()
        if "email" in frame:
            emails = frame.email[frame.email != ""]
            assert emails.str.match(EMAIL).all()
    crm = with_truth(clean, "crm")
    assert (crm.first_name == crm.first_name_true).all()
    assert (crm.birth_date == crm.date_of_birth_true).all()


def test_movers_show_old_and_new_addresses(messy: Path) -> None:
    people = truth_people(messy)
    seen = []
    for source, column in POSTCODE_COLUMN.items():
        frame = with_truth(messy, source)
        seen.append(frame[["person_id", column]].set_axis(["person_id", "postcode"], axis=1))
    codes = pd.concat(seen)
    codes = codes[codes.postcode != ""]
    codes["postcode"] = codes.postcode.str.upper().str.replace(" ", "")
    distinct = codes.groupby("person_id").postcode.nunique()
    moved = people.moved.loc[distinct.index] == "1"
    assert (distinct[moved] > 1).any()
    assert (distinct[~moved] == 1).all()


def test_mappings_cover_every_written_column() -> None:
    written = {
        **{(s, "customers"): cols for s, cols in CUSTOMER_COLUMNS.items()},
        **{(s, "interactions"): INTERACTION_COLUMNS for s in SOURCES},
    }
    for (source, kind), columns in written.items():
        mapping = yaml.safe_load((MAPPINGS / f"{source}.{kind}.yaml").read_text())
        assert mapping["source"] == source and mapping["kind"] == kind
        assert set(mapping["columns"]) == set(columns)
        targets = list(mapping["columns"].values())
        assert set(targets) <= set(FIELDS[kind])
        assert len(targets) == len(set(targets))
        assert set(mapping.get("formats", {})) <= set(targets)
        assert "sourceKey" in targets or "interactionId" in targets
