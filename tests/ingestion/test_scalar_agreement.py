"""The one-record path and the column path prepare every record the same way: on the
synthetic sources, and on generated records that use every mapping feature (identifiers,
combined columns, format lists, attributes, account attributes) with good, bad, blank and
over-long values."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingestion.mapping import Mapping, builtin_mapping, parse_mapping
from app.ingestion.reader import Chunk, read_chunks
from app.ingestion.record import prepare_customer_record
from app.ingestion.rows import Prepared, prepare_customers
from app.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agree")
    generate(SynthConfig(people=400, seed=8, mess=2.0), out, "csv")
    return out


def _plain(v: object) -> object:
    return None if isinstance(v, float) and math.isnan(v) else v


def _compare(
    records: list[dict[str, Any]], columns: Prepared, mapping: Mapping, max_len: int, **kw: Any
) -> int:
    """Assert that the records prepared one at a time give what the column path gave for
    them, write for write and blanked value for blanked value; returns how many loaded."""
    col_bad = {q["row"]: q["reason"] for q in columns.quarantined}
    seen: dict[str, int] = {}
    writes: dict[str, list[dict[str, Any]]] = {name: [] for name in columns.writes}
    blanked: list[dict[str, Any]] = []
    for row_no, record in enumerate(records, start=1):
        one = prepare_customer_record(
            record, mapping, file="f", row=row_no, max_len=max_len, country="GB", **kw
        )
        if one.quarantined:
            assert col_bad.get(row_no) == one.quarantined[0]["reason"]
            assert one.blanked == []
            continue
        cid = one.writes["upsert_customers"][0]["customerId"]
        if cid in seen:  # duplicates are a file-level rule of the column path
            assert col_bad.get(row_no) == f"duplicate key (first used at row {seen[cid]})"
            continue
        seen[cid] = row_no
        assert row_no not in col_bad, col_bad.get(row_no)
        assert list(one.writes) == list(columns.writes)
        for name, rows in one.writes.items():
            writes[name] += rows
        blanked += one.blanked
    assert writes == columns.writes
    assert blanked == columns.blanked
    assert len(seen) == columns.loaded
    return len(seen)


@pytest.mark.parametrize("source", ["crm", "webshop", "loyalty", "callcenter"])
def test_record_and_column_paths_agree_on_synthetic_sources(synth: Path, source: str) -> None:
    mapping = builtin_mapping(source, "customers")
    path = synth / f"{source}_customers.csv"
    (chunk,) = list(read_chunks(path, "csv", 100_000))
    columns = prepare_customers(chunk, mapping, file="f", max_len=512, country="GB", seen={})
    records = [{k: _plain(v) for k, v in raw.items()} for raw in chunk.frame.to_dict("records")]
    assert chunk.rows == list(range(1, len(records) + 1))
    assert _compare(records, columns, mapping, 512) > 100
    # The messy generator writes a few bad emails and dates (none into this seed's webshop).
    assert len(columns.blanked) == {"crm": 2, "webshop": 0, "loyalty": 2, "callcenter": 1}[source]


MAX_LEN = 24
GENERATED = {
    "source": "gen",
    "kind": "customers",
    "columns": {
        "key": "sourceKey",
        "first": "firstName",
        "mi": "middleName",
        "last": "lastName",
        "full": "fullName",
        "gender": "gender",
        "dob": "dateOfBirth",
        "email": "email",
        "phone": "phone",
        "no": "street",
        "line": "street",
        "city": "city",
        "pc": "postcode",
        "country": "country",
        "device": "deviceId",
        "acct": "accountId",
        "role": "accountRole",
        "consent": "marketingConsent",
        "updated": "updatedAt",
        "ssn": "nationalId",
        "card": "loyaltyNo",
    },
    "identifiers": {"nationalId": "typo", "loyaltyNo": {"compare": "exact"}},
    "attributes": {"state": "state", "seg": "segment"},
    "accountAttributes": {"plan": "planMb", "product": "product"},
}
DATE_FORMATS = ["%Y%m%d", "%m/%d/%Y"]
TIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"]
# The generated dates of birth run from 1850: the ISO mapping blanks those before 1900 (the
# default), this one only those before 1870.
WITH_FORMATS = parse_mapping(
    {
        **GENERATED,
        "formats": {"dateOfBirth": DATE_FORMATS, "updatedAt": TIME_FORMATS},
        "earliest": {"dateOfBirth": 1870},
    },
    "gen",
)
ISO = parse_mapping(GENERATED, "gen-iso")

text = st.text(max_size=12)
too_long = st.text(min_size=MAX_LEN + 1, max_size=MAX_LEN + 8)
noise = st.one_of(st.none(), st.just(""), st.just("   "), text, too_long)


def _value(*good: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(noise, *good)


def _dates(formats: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda d, fmt: d.strftime(fmt),
        st.dates(date(1850, 1, 1), date(2100, 1, 1)),
        st.sampled_from([*formats, "%Y-%m-%d"]),
    )


def _times(formats: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda d, fmt: d.strftime(fmt),
        st.datetimes(datetime(1950, 1, 1), datetime(2040, 1, 1)),
        st.sampled_from([*formats, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
    )


PHONES = [
    "07912 345678",
    "+44 7912 345678",
    "020 7946 0000",
    "1 (415) 555-2671",
    "06 6982 1234",
    "+39 06 6982 1234",
    "0770",
    "555 1234",
    "+44 (0)20 7946 0000",
]
ANY_DIALLED = st.from_regex(r"\+?[0-9 ()-]{0,16}", fullmatch=True)


def _record(keys: st.SearchStrategy[str | None]) -> st.SearchStrategy[dict[str, Any]]:
    words = st.sampled_from(["ann", "JOHN", "o'neil", "Mary Ann", "Smith, Jo Ann", "ß", "ǆ"])
    return st.fixed_dictionaries(
        {
            "key": keys,
            "first": _value(words),
            "mi": _value(st.sampled_from(["l", "J.", "paul"])),
            "last": _value(words),
            "full": _value(words, st.sampled_from(["John Paul Smith", "Smith, Jo", "Cher"])),
            "gender": _value(st.sampled_from(["F", "male", "x"])),
            "dob": _value(_dates(DATE_FORMATS), st.sampled_from(["19281501", "18991231"])),
            "email": _value(st.emails(), st.sampled_from(["a@b", "John@Example.COM "])),
            "phone": _value(st.sampled_from(PHONES), ANY_DIALLED),
            "no": _value(st.sampled_from(["12", "4a"])),
            "line": _value(st.sampled_from(["High St", "Straße 5", "rue d'Ulm"])),
            "city": _value(st.sampled_from(["london", "Winston Hills", "köln"])),
            "pc": _value(st.sampled_from(["sw1a1aa", "4223", "SW1A 1AA", "00501"])),
            "country": _value(st.sampled_from(["UK", "US", "Italy", "IT", "au", "Atlantis"])),
            "device": _value(),
            "acct": _value(st.sampled_from(["A1", "A2"])),
            "role": _value(st.sampled_from(["Owner", "member"])),
            "consent": _value(st.sampled_from(["yes", "N", "opted-in", "maybe"])),
            "updated": _value(_times(TIME_FORMATS)),
            "ssn": _value(st.sampled_from(["123-45-6789", "123 45 6789", "ab.12/3", " - "])),
            "card": _value(st.sampled_from(["L 001", "l.001"])),
            "state": _value(st.sampled_from(["WA", "nsw"])),
            "seg": _value(),
            "plan": _value(st.sampled_from(["5000", "2.5", "007", "-3", "1e3"])),
            "product": _value(),
        }
    )


KEYS = st.one_of(st.none(), st.just(" "), too_long, st.sampled_from(["K1", "K2", " K1", "K3"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=st.lists(_record(KEYS), min_size=1, max_size=12),
    mapping=st.sampled_from([WITH_FORMATS, ISO]),
    known=st.sampled_from([(), ("nationalId", "passport")]),
)
def test_record_and_column_paths_agree_on_generated_records(
    records: list[dict[str, Any]], mapping: Mapping, known: tuple[str, ...]
) -> None:
    frame = pd.DataFrame(records, dtype="str")
    chunk = Chunk(frame, list(range(1, len(records) + 1)))
    columns = prepare_customers(
        chunk, mapping, file="f", max_len=MAX_LEN, country="GB", seen={}, identifier_types=known
    )
    _compare(records, columns, mapping, MAX_LEN, identifier_types=known)
