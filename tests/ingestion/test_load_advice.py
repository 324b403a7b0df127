"""A load says what in the mapping does not fit the file: a column mostly blanked for one
reason (dates of birth written 05/13/1994 under a mapping that reads ISO 8601 were blanked
row by row, and the summary showed only a count), and a column the mapping reads that the
file does not have (a misspelt name left its field empty without a word)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.errors import InputError
from app.ingestion.advice import EXAMPLES, absent_advice, advice, date_formats
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import CUSTOMER_COLUMNS, customer_rows, write_mapping
from tests.test_cli import idgraph

ROWS = 30


def _settings(backend_settings: Settings, tmp_path: Path) -> Settings:
    return backend_settings.model_copy(update={"data_dir": tmp_path / "data", "chunk_rows": 7})


def _file(tmp_path: Path, dates: list[str]) -> Path:
    rows = customer_rows(len(dates))
    for row, d in zip(rows, dates, strict=True):
        row["dob"] = d
    f = tmp_path / "crm.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    return f


def _load(
    store: GraphStore,
    f: Path,
    settings: Settings,
    columns: dict[str, str] = CUSTOMER_COLUMNS,
    **mapping: Any,
) -> Any:
    m = load_mapping(write_mapping(f.parent / "m.yaml", "customers", columns, **mapping))
    return ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)


# Month first: day 13 and later appear, so only one order reads them all.
MONTH_FIRST = [f"{1 + i % 12:02d}/{1 + (7 * i) % 28:02d}/19{50 + i}" for i in range(ROWS)]


# MONTH_FIRST as a spreadsheet or database exports a date column: date-times at midnight
EXPORTED = [f"{d.lstrip('0').replace('/0', '/')} 0:00" for d in MONTH_FIRST]


@pytest.mark.parametrize("written", [MONTH_FIRST, EXPORTED], ids=["dates", "midnight"])
def test_dates_in_another_format_are_counted_and_the_format_that_reads_them_is_named(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, written: list[str]
) -> None:
    settings = _settings(backend_settings, tmp_path)
    f = _file(tmp_path, written)
    summary = _load(store, f, settings)
    assert (summary.rows_loaded, summary.fields_blanked) == (ROWS, ROWS)
    assert summary.blanked_columns == [
        {
            "column": "dob",
            "field": "dateOfBirth",
            "reason": "invalid date",
            "count": ROWS,
            "examples": written,
        }
    ]
    assert advice("crm.csv", summary.rows_read, summary.blanked_columns) == [
        f"crm.csv: dob (dateOfBirth) blanked in 30 of 30 rows: invalid date, e.g. {written[0]!r}; "
        "set formats: {dateOfBirth: '%m/%d/%Y'} in the mapping (it reads 30 of the 30 "
        "examples kept)"
    ]
    # What it says to set reads every date of the file.
    again = _load(store, f, settings, formats={"dateOfBirth": "%m/%d/%Y"})
    assert (again.rows_loaded, again.fields_blanked, again.blanked_columns) == (ROWS, 0, [])
    stored = store.read("api_customers", ids=["crm:C000013"])[0]["customer"]
    assert written[13] in ("02/08/1963", "2/8/1963 0:00")
    assert stored["dateOfBirth"] == "1963-02-08"


# When each record was last changed, as a US export writes it: month first, a 24-hour time.
UPDATED = [
    f"{1 + i % 12:02d}/{13 + i % 15}/2024 {i % 24:02d}:{(7 * i) % 60:02d}" for i in range(ROWS)
]


def test_date_times_in_another_format_name_the_date_time_format_that_reads_them(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(backend_settings, tmp_path)
    f = _file(tmp_path, [f"19{50 + i}-01-01" for i in range(ROWS)])
    frame = pd.read_csv(f, dtype=str)
    frame["updated"] = UPDATED
    frame.to_csv(f, index=False)
    columns = {**CUSTOMER_COLUMNS, "updated": "updatedAt"}
    summary = _load(store, f, settings, columns=columns)
    assert advice("crm.csv", summary.rows_read, summary.blanked_columns) == [
        "crm.csv: updated (updatedAt) blanked in 30 of 30 rows: invalid date-time, e.g. "
        f"{UPDATED[0]!r}; set formats: {{updatedAt: '%m/%d/%Y %H:%M'}} in the mapping (it "
        "reads 30 of the 30 examples kept)"
    ]
    # What it says to set reads every value of the file.
    again = _load(store, f, settings, columns=columns, formats={"updatedAt": "%m/%d/%Y %H:%M"})
    assert (again.rows_loaded, again.fields_blanked, again.blanked_columns) == (ROWS, 0, [])
    stored = store.read("api_customers", ids=["crm:C000013"])[0]["customer"]
    assert UPDATED[13] == "02/26/2024 13:31"
    assert stored["updatedAt"] == "2024-02-26T13:31:00"


def test_dates_that_read_either_way_name_both_formats(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> None:
    dates = [f"{1 + i % 12:02d}/{1 + i % 12:02d}/19{50 + i}" for i in range(ROWS)]
    summary = _load(falkor_store, _file(tmp_path, dates), _settings(falkor_settings, tmp_path))
    assert advice("crm.csv", summary.rows_read, summary.blanked_columns) == [
        "crm.csv: dob (dateOfBirth) blanked in 30 of 30 rows: invalid date, e.g. '01/01/1950'; "
        "formats '%m/%d/%Y' or '%d/%m/%Y' each read 30 of the 30 examples kept; set the one "
        "the file uses under formats: {dateOfBirth: ...} in the mapping"
    ]


def test_a_few_bad_values_are_counted_without_advice(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> None:
    dates = [f"19{50 + i}-01-0{1 + i % 9}" for i in range(ROWS)]
    dates[4], dates[9] = "1970-13-01", "not known"
    settings = _settings(falkor_settings, tmp_path)
    f = _file(tmp_path, dates)
    summary = _load(falkor_store, f, settings)
    assert summary.blanked_columns == [
        {
            "column": "dob",
            "field": "dateOfBirth",
            "reason": "invalid date",
            "count": 2,
            "examples": ["1970-13-01", "not known"],
        }
    ]
    assert advice("crm.csv", summary.rows_read, summary.blanked_columns) == []
    # A load of the unchanged file reports the load it repeats, these counts included.
    again = _load(falkor_store, f, settings)
    assert again.unchanged
    assert again.blanked_columns == summary.blanked_columns


def test_the_examples_kept_are_the_first_distinct_values_up_to_a_limit(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> None:
    dates = [f"{1 + i % 28:02d}.0{1 + i % 9}.19{50 + i % 40}" for i in range(EXAMPLES + 40)]
    summary = _load(falkor_store, _file(tmp_path, dates), _settings(falkor_settings, tmp_path))
    (blanked,) = summary.blanked_columns
    assert blanked["count"] == len(dates)
    assert blanked["examples"] == list(dict.fromkeys(dates))[:EXAMPLES]


@pytest.mark.parametrize(
    ("good", "fits"),
    [(50, (["%d.%m.%Y"], 50)), (40, (["%d.%m.%Y"], 40)), (39, ([], 39))],
)
def test_a_format_is_named_when_it_reads_four_in_five_examples(
    good: int, fits: tuple[list[str], int]
) -> None:
    examples = [f"{13 + i % 15}.0{1 + i % 9}.19{50 + i}" for i in range(good)]
    examples += [f"19{i}?" for i in range(50 - good)]  # the column's own bad values
    assert date_formats(examples) == fits


def test_columns_the_mapping_reads_that_the_file_lacks_are_named_with_look_alikes(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> None:
    settings = _settings(falkor_settings, tmp_path)
    f = _file(tmp_path, [f"19{50 + i}-01-01" for i in range(ROWS)])
    columns = {**CUSTOMER_COLUMNS, "lastname": "lastName"}
    del columns["last"]
    summary = _load(falkor_store, f, settings, columns=columns, attributes={"tier": "tier"})
    assert summary.absent_columns == {"lastname": "lastName", "tier": "attribute tier"}
    assert summary.ignored_columns == ["last"]
    assert absent_advice("crm.csv", summary.absent_columns, summary.ignored_columns) == [
        "crm.csv: column(s) the mapping reads are not in the file, so they load empty: "
        "lastname (lastName, the file has last); tier (attribute tier). Columns of the file "
        "the mapping does not read: last"
    ]
    stored = falkor_store.read("api_customers", ids=["crm:C000001"])[0]["customer"]
    assert "lastName" not in stored and stored["firstName"] == "First1"
    again = _load(falkor_store, f, settings, columns=columns, attributes={"tier": "tier"})
    assert again.unchanged
    assert again.absent_columns == summary.absent_columns


def test_the_command_line_says_it_beside_the_table(tmp_path: Path) -> None:
    f = _file(tmp_path, MONTH_FIRST)
    m = write_mapping(
        tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS, attributes={"tier": "tier"}
    )
    r = idgraph("ingest", str(f), "--source", "crm", "--mapping", str(m), data=tmp_path / "data")
    assert r.returncode == 0, r.stderr
    assert (
        "crm.csv: dob (dateOfBirth) blanked in 30 of 30 rows: invalid date, e.g. '01/01/1950'; "
        "set formats: {dateOfBirth: '%m/%d/%Y'} in the mapping (it reads 30 of the 30 "
        "examples kept)\n"
    ) in r.stderr  # with the other notes on the load (the table is the output)
    assert (
        "crm.csv: column(s) the mapping reads are not in the file, so they load empty: tier "
        "(attribute tier)\n"
    ) in r.stderr


def test_dates_before_the_earliest_year_point_to_earliest_and_other_fields_to_the_mapping() -> None:
    blanked = [
        {
            "column": "born",
            "field": "dateOfBirth",
            "reason": "date before 1900",
            "count": 8,
            "examples": ["1851-02-01"],
        },
        {
            "column": "mail",
            "field": "email",
            "reason": "invalid email",
            "count": 6,
            "examples": ["+44 7700 900123"],
        },
        {
            "column": "tel",
            "field": "phone",
            "reason": "not a possible number",
            "count": 4,
            "examples": ["12"],
        },
    ]
    assert advice("people.csv", 10, blanked) == [
        "people.csv: born (dateOfBirth) blanked in 8 of 10 rows: date before 1900, e.g. "
        "'1851-02-01'; if the records go back further, set earliest: {dateOfBirth: <year>}",
        "people.csv: mail (email) blanked in 6 of 10 rows: invalid email, e.g. "
        "'+44 7700 900123'; check what the mapping says the column holds",
    ]


def test_a_required_column_written_another_way_is_refused_naming_the_file_s_column(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    rows = customer_rows(5)
    pd.DataFrame(rows).rename(columns={"id": "ID"}).to_csv(f, index=False)
    with pytest.raises(InputError) as refused:
        _load(falkor_store, f, _settings(falkor_settings, tmp_path))
    assert str(refused.value) == (
        f"crm.csv: missing required column(s) id (mapping {tmp_path / 'm.yaml'}, source "
        "'crm'); the file has 'ID' for id; nothing was loaded"
    )
    assert falkor_store.read("customer_count")[0]["n"] == 0
