"""What a load says when most of a column was blanked for one reason. A bad value is blanked
and recorded, and the record loads (docs/ingestion.md); but a column whose values are
mostly refused for the same reason is nearly always a mapping that does not fit the file
(dates written 05/06/1994 where the mapping reads ISO 8601), not dirty data, and matching
without it loses what the column was for. The load's summary counts each column's blanks by
reason with a few of the values; `advice` turns the large ones into a line that says what to
set, and for dates which formats read the values."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from app.ingestion.dates import read_date
from app.ingestion.mapping import DATE_FIELDS, DELIMITER_NAMES
from app.ingestion.mapping import Mapping as SourceMapping

# Values kept per column and reason: enough to tell day-first from month-first dates (the
# chance that 50 month-first birth dates all fall on days 1-12 is under 1 in 10^19).
EXAMPLES = 50
# A column counts as "mostly blanked" from this share of the rows read.
MOSTLY = 0.5
# The formats tried on a date field's blanked values to say which reads them.
DATE_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%Y%m%d",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
)  # a date at midnight ("3/7/1985 0:00") is read by its date's format (dates.read_date)
# ...and on a date-time field's (updatedAt): each date format with a time of day.
DATETIME_FORMATS: tuple[str, ...] = tuple(
    date + time
    for date in DATE_FORMATS
    for time in (" %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
)


@dataclass
class Blanked:
    """One column's values blanked for one reason: how many, and the first distinct ones."""

    column: str
    field: str
    reason: str
    count: int = 0
    examples: list[str] = dataclasses.field(default_factory=list)


def tally(into: dict[tuple[str, str, str], Blanked], lines: Iterable[Mapping[str, Any]]) -> None:
    """Counts blank lines (app/ingestion/rows.py, blank_line) by column, field and reason."""
    for line in lines:
        key = (str(line["column"]), str(line["field"]), str(line["reason"]))
        found = into.get(key)
        if found is None:
            found = into[key] = Blanked(*key)
        found.count += 1
        value = str(line.get("value"))
        if len(found.examples) < EXAMPLES and value not in found.examples:
            found.examples.append(value)


def as_rows(tallied: dict[tuple[str, str, str], Blanked]) -> list[dict[str, Any]]:
    """The tally as the load summary keeps it (JSON in the load's journal), most first."""
    ordered = sorted(tallied.values(), key=lambda b: (-b.count, b.column, b.reason))
    return [asdict(b) for b in ordered]


# The share of the examples a format must read to be suggested: the rest are the column's
# own bad values (a census's typed-in "05/06/19s4").
READS_MOST = 0.8


def date_formats(
    examples: Iterable[str], formats: Sequence[str] = DATE_FORMATS
) -> tuple[list[str], int]:
    """The formats of `formats` that read the most examples (all of them that read as
    many), and how many they read; none when the best reads under READS_MOST of them. A
    date format reads a date-time at midnight (dates.read_date), a date-time format the
    time it names."""
    values = [e.strip() for e in examples if e and e.strip()]
    counts = {f: sum(_reads(f, v) for v in values) for f in formats}
    best = max(counts.values(), default=0)
    if not values or best < READS_MOST * len(values):
        return [], best
    return [f for f in formats if counts[f] == best], best


def _reads(fmt: str, value: str) -> bool:
    return read_date(value, [fmt]) is not None


def advice(file: str, rows_read: int, blanked: Iterable[Mapping[str, Any]]) -> list[str]:
    """A line for each column blanked in at least MOSTLY of the rows read, for one reason:
    how many, an example, and what to set."""
    out = []
    for b in blanked:
        count, examples = int(b["count"]), list(b["examples"])
        if not rows_read or count < MOSTLY * rows_read:
            continue
        column, field_, reason = b["column"], b["field"], b["reason"]
        line = (
            f"{file}: {column} ({field_}) blanked in {count:,} of {rows_read:,} rows: {reason}, "
            f"e.g. {examples[0]!r}"
        )
        if field_ in DATE_FIELDS and reason == "invalid date":
            line += "; " + _date_hint(field_, examples, DATE_FORMATS, "date")
        elif reason == "invalid date-time":
            line += "; " + _date_hint(field_, examples, DATETIME_FORMATS, "date-time")
        elif field_ in DATE_FIELDS and reason.startswith("date before"):
            line += f"; if the records go back further, set earliest: {{{field_}: <year>}}"
        else:
            line += "; check what the mapping says the column holds"
        out.append(line)
    return out


def _date_hint(field_: str, examples: list[str], formats: Sequence[str], kind: str) -> str:
    fits, read = date_formats(examples, formats)
    n = len(examples)
    if len(fits) == 1:
        return (
            f"set formats: {{{field_}: {fits[0]!r}}} in the mapping (it reads {read} of the "
            f"{n} examples kept)"
        )
    if fits:
        listed = " or ".join(repr(f) for f in fits)
        return (
            f"formats {listed} each read {read} of the {n} examples kept; set the one the "
            f"file uses under formats: {{{field_}: ...}} in the mapping"
        )
    return f"give the file's {kind} format under formats: {{{field_}: ...}} in the mapping"


def absent_columns(mapping: SourceMapping, header: Sequence[str]) -> dict[str, str]:
    """Columns the mapping reads that the header lacks -> the field, identifier type or
    attribute each would feed. A required one refuses the file before this (missing required
    column); any other left its field empty without a word, as a misspelt column name in a
    mapping did (last_name where the file says surname)."""
    present = set(header)
    read = {
        **mapping.columns,
        **{c: f"attribute {n}" for c, n in mapping.attributes.items()},
        **{c: f"account {n}" for c, n in mapping.account_attributes.items()},
    }
    return {c: t for c, t in read.items() if c not in present}


def missing_hint(missing: Sequence[str], header: Sequence[str], other: str | None) -> str:
    """What to add to the refusal of a file that lacks required columns: the delimiter that
    finds them (`other`, app/ingestion/reader.py, header_delimiter), else the header's
    look-alikes."""
    if other is None:
        return look_alikes(missing, header)
    shown = next((n for n, d in DELIMITER_NAMES.items() if d == other), f'"{other}"')
    return f"; the header splits into them at {other!r}: set 'delimiter: {shown}' in the mapping"


def look_alikes(missing: Sequence[str], header: Sequence[str]) -> str:
    """`; the file has X` for the header's columns that look like the missing ones (another
    case, spaces around the name, a near spelling), or nothing."""
    found = []
    for column in missing:
        near = _near(column, header)
        if near:
            found.append(f"{' or '.join(repr(n) for n in near)} for {column}")
    return f"; the file has {', '.join(found)}" if found else ""


def _near(column: str, names: Sequence[str]) -> list[str]:
    """Names like `column`: the same once trimmed and lower-cased first, else close spellings."""
    same = [n for n in names if n.strip().lower() == column.strip().lower()]
    return same or difflib.get_close_matches(column, names, n=2, cutoff=0.6)


def absent_advice(file: str, absent: Mapping[str, str], ignored: Sequence[str]) -> list[str]:
    """A line naming the mapped columns the file lacks, with the file's unread columns that
    look like each, and (up to 10) the columns the mapping does not read."""
    if not absent:
        return []
    parts = []
    for column, target in absent.items():
        near = _near(column, ignored) or difflib.get_close_matches(column, ignored, 2, 0.5)
        like = f", the file has {' or '.join(near)}" if near else ""
        parts.append(f"{column} ({target}{like})")
    line = (
        f"{file}: column(s) the mapping reads are not in the file, so they load empty: "
        + "; ".join(parts)
    )
    if ignored:
        more = f" and {len(ignored) - 10:,} more" if len(ignored) > 10 else ""
        line += f". Columns of the file the mapping does not read: {', '.join(ignored[:10])}{more}"
    return [line]
