"""Dates, date-times and numbers from source text: the value rules (`date1`, `timestamp1`)
and their column versions (`date`, `timestamp`, `number`), held equal by
tests/ingestion/test_normalize.py. Split from app/ingestion/normalize.py, whose helpers
they share."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd

from app.ingestion.normalize import Formats, apply1, as_formats, blank_to_na, clean1, unzip
from app.settings import EARLIEST_BIRTH_YEAR

_EPOCH1 = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH = pd.Timestamp(0, tz="UTC")


def _parse1(raw: str, formats: Formats) -> datetime | None:
    listed = as_formats(formats)
    if not listed:
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    for fmt in listed:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    return None


# A date written as a date-time at midnight, as spreadsheets and databases export date
# columns: "3/7/1985 0:00", "03/07/1985 00:00:00", "1985-03-07T00:00:00.000Z", "3/7/1985
# 12:00:00 AM". With the mapping's formats, any other time of day is not read as a date: a
# birth date stored as UTC midnight of a local date comes out as the day before at 23:00.
# (ISO 8601 read without formats keeps its date whatever the time, as it always has.)
_MIDNIGHT = re.compile(
    r"^(?P<date>.+?)[ T](?:0?0:00(?::00(?:\.0+)?)?(?:\s?AM)?|12:00(?::00(?:\.0+)?)?\s?AM)"
    r"(?:Z|[+-]00:?00)?$",
    re.IGNORECASE,
)


def read_date(raw: str, formats: Formats) -> datetime | None:
    """`raw` read by the first of the formats that reads it (ISO 8601 when none), or its
    date without a midnight time after it (_MIDNIGHT) so read; None when none does."""
    parsed = _parse1(raw, formats)
    if parsed is None and (midnight := _MIDNIGHT.match(raw)) is not None:
        parsed = _parse1(midnight["date"], formats)
    return parsed


def date1(
    value: object, formats: Formats, earliest: int = EARLIEST_BIRTH_YEAR
) -> tuple[str | None, str | None]:
    """(YYYY-MM-DD, problem). The formats are tried in order (ISO 8601 when none); a date
    before the year `earliest` (Settings.earliest_birth_year, or the mapping's `earliest:`)
    or after today is a problem too. A time after the date is read only at midnight
    (`read_date`)."""
    raw = clean1(value)
    if raw is None:
        return None, None
    parsed = read_date(raw, formats)
    if parsed is None:
        return None, "invalid date"
    naive = parsed.replace(tzinfo=None)
    if naive.year < earliest:
        return None, f"date before {earliest}"
    if naive > datetime.now():
        return None, "date in the future"
    return naive.date().isoformat(), None  # four-digit years (strftime gives "850-03-01")


def date(
    s: pd.Series, formats: Formats, earliest: int = EARLIEST_BIRTH_YEAR
) -> tuple[pd.Series, pd.Series]:
    """(YYYY-MM-DD, problem or None) for each value; each distinct value parsed once."""
    iso, problem = unzip(apply1(lambda v: date1(v, formats, earliest), s), 2, s.index)
    return iso, problem


# The ISO 8601 shapes pandas and `datetime.fromisoformat` read alike (checked by tests); any
# other text without listed formats is read value by value with `timestamp1`: pandas takes a
# bare year ("2020") that Python refuses, Python a compact "20200101T10" that pandas refuses.
COMMON_ISO = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)?"
)


def timestamp1(value: object, formats: Formats) -> tuple[str | None, int, bool]:
    """(ISO YYYY-MM-DDTHH:MM:SS in UTC, epoch ms, bad). Naive times are UTC."""
    raw = clean1(value)
    if raw is None:
        return None, 0, False
    parsed = _parse1(raw, formats)
    if parsed is None:
        return None, 0, True
    try:
        aware = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # an offset that moves year 1 or 9999 out of range
        return None, 0, True
    ms = (aware - _EPOCH1) // timedelta(milliseconds=1)  # floored, as the column does
    return aware.isoformat(timespec="seconds")[:19], ms, False


def timestamp(s: pd.Series, formats: Formats) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`timestamp1` over a column, vectorised (event times are nearly all distinct and
    strptime costs ~12 µs a value); tests keep it equal to timestamp1."""
    raw = blank_to_na(s)
    listed = as_formats(formats)
    if listed:
        parsed: pd.Series | None = None
        for fmt in listed:
            todo = raw.where(parsed.isna()) if parsed is not None else raw
            fresh = pd.to_datetime(todo, format=fmt, errors="coerce", utc=True)
            parsed = fresh if parsed is None else parsed.fillna(fresh)
        assert parsed is not None
    else:
        common = raw.str.fullmatch(COMMON_ISO).fillna(False).astype(bool)
        parsed = pd.to_datetime(raw.where(common), format="ISO8601", errors="coerce", utc=True)
    # pandas reads years 0 and 10000 (an offset can move a time there; Python's datetime,
    # and so timestamp1, has neither: a bad value) and keeps far years in microseconds,
    # which its nanosecond epoch cannot be subtracted from.
    parsed = parsed.where(parsed.dt.year.between(1, 9999))
    bad = raw.notna() & parsed.isna()
    iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S")
    epoch = _EPOCH.as_unit(parsed.dt.unit)
    ms = ((parsed - epoch) // pd.Timedelta(milliseconds=1)).fillna(0).astype("int64")
    iso = iso.astype(object).where(parsed.notna(), None)
    if not listed:
        rest = raw.notna() & ~common
        if rest.any():
            one = unzip(apply1(lambda v: timestamp1(v, None), raw[rest]), 3, raw[rest].index)
            iso[rest] = one[0]
            ms[rest] = one[1].astype("int64")
            bad[rest] = one[2].astype(bool)
    return iso.where(iso.notna(), None), ms, bad


def number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    raw = blank_to_na(s)
    val = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & val.isna()
    return val, bad
