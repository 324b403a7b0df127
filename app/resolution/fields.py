"""The values the resolver compares and blocks on, derived from a record's stored fields.

Each derived value has one scalar rule (`DERIVED`); a column applies that rule to each
distinct value of its source field, so batch (`derive`) and real time (`derive1`) share the
same definition and the batch cost grows with distinct values, not rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from doublemetaphone import doublemetaphone
from nicknames import NickNamer

from app.ingestion.names import NAME_TITLES, fold
from app.ingestion.normalize import street_key1

# Fields the resolver reads from a Customer node, besides declared identifiers (`id_*`).
RECORD_FIELDS: tuple[str, ...] = (
    "source",
    "firstName",
    "middleName",
    "lastName",
    "dateOfBirth",
    "gender",
    "email",
    "phone",
    "phoneType",
    "street",
    "city",
    "postcode",
    "addressId",
    "updatedAt",
)
IDENTIFIER_PREFIX = "id_"
# Words written where a name should be: a form's "unknown" or "declined", a newborn's "baby
# girl", what a record was about ("customer", "resident", "respondent"), test rows. For
# matching they are no name at all (the record keeps what it says): two records that both
# say "Unknown" are not alike by it, and one that says "Boy" does not disagree with "Brittany".
# Words that are also people's names are left out ("Nil", "Na", "Child").
PLACEHOLDER_NAMES = frozenset(
    {
        *("unknown", "unk", "not known", "n/a", "none", "null", "nobody"),
        *("no name", "noname", "name", "not given", "not stated", "not provided"),
        *("declined", "refused", "anonymous", "anon", "test", "x", "xx", "xxx"),
        *("baby", "baby boy", "baby girl", "boy", "girl", "infant", "newborn"),
        *("male", "female", "adult", "adult male", "adult female"),
        *("resident", "current resident", "occupant", "current occupant", "householder"),
        *("customer", "client", "respondent"),
    }
)
_NICKNAMES = NickNamer()
_NOT_DIGIT = re.compile(r"\D")

Column = np.ndarray  # object array, None where missing

# Columns compared with each other share one code space (a birth date against the other
# record's date with day and month swapped).
JOINT_CODES: dict[str, str] = {"dob_swapped": "dob", "last": "first"}


class Columns(dict[str, Column]):
    """Derived columns by name (object arrays, None where missing) and, for fast equality
    tests, integer codes: equal values have equal codes, a missing value -1."""

    def __init__(
        self, values: Mapping[str, Column], known: Mapping[str, np.ndarray] | None = None
    ) -> None:
        """`known`: codes already worked out, by column (not computed again)."""
        super().__init__(values)
        self.codes: dict[str, np.ndarray] = dict(known or {})
        for name, col in self.items():
            if name in JOINT_CODES or name in self.codes:
                continue
            partners = [n for n, base in JOINT_CODES.items() if base == name and n in self]
            if partners:
                codes = factorize(np.concatenate([col, *(self[n] for n in partners)]))
                for i, n in enumerate([name, *partners]):
                    self.codes[n] = codes[i * len(col) : (i + 1) * len(col)]
            else:
                self.codes[name] = _codes(col)

    def present(self, name: str) -> np.ndarray:
        return self.codes[name] >= 0


def _codes(col: Column) -> np.ndarray:
    if col.dtype != object:
        return np.where(pd.isna(col), -1, 0)
    if len(col) and isinstance(next((v for v in col if v is not None), None), frozenset):
        return np.where(pd.notna(col), 0, -1)  # sets compare by intersection only
    return factorize(col)


# Below this many values a dict numbers them faster than pandas, whose fixed cost per call
# (~50 µs) made building one record's columns take 1.5 ms of a real-time placement.
FACTORIZE_IN_PYTHON = 512


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def factorize(values: Column) -> np.ndarray:
    """Integer codes of an object array in order of first appearance, -1 for a missing value
    (None or NaN): pandas' factorize, or for short arrays the same numbering by a dict
    (tests/resolution/test_fields.py holds the two equal)."""
    if len(values) >= FACTORIZE_IN_PYTHON:
        codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
        return codes
    seen: dict[Any, int] = {}
    return np.array(
        [-1 if _missing(v) else seen.setdefault(v, len(seen)) for v in values],
        dtype=np.intp,
    )


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    out = " ".join(str(value).lower().split())
    return out or None


def _folded(value: object) -> str | None:
    """`_text`, folded: a name or a place as matching compares it."""
    text = _text(value)
    return fold(text) if text else None


def first_name(value: object) -> str | None:
    """Lower case without accents (`fold`), without dots; a title ("Ms") or a placeholder
    ("Unknown") is no first name."""
    text = _folded(value)
    if text is None:
        return None
    text = text.replace(".", "")
    return None if not text or text in NAME_TITLES or text in PLACEHOLDER_NAMES else text


def last_name(value: object) -> str | None:
    """Lower case without accents (`fold`); a placeholder ("No Name") is no surname."""
    text = _folded(value)
    return None if text is None or text in PLACEHOLDER_NAMES else text


def sound(value: str | None) -> str | None:
    """Primary double-metaphone code: "Abrry" and "Barry" sound alike."""
    return (doublemetaphone(value)[0] or None) if value else None


@lru_cache(maxsize=65536)
def nickname_set(value: str) -> frozenset[str]:
    """The name and every formal name it may stand for (the `nicknames` package's
    many-to-many table): two first names are nicknames of each other when their sets meet,
    so "Sam" meets both "Samuel" and "Samantha"."""
    return frozenset({value, *_NICKNAMES.canonicals_of(value)})


def first_nicknames(value: str | None) -> frozenset[str] | None:
    return nickname_set(value) if value else None


def initial(value: str | None) -> str | None:
    return value[:1] if value else None


def is_initial(value: str | None) -> bool | None:
    return (len(value) == 1) if value else None


def year(value: str | None) -> str | None:
    return value[:4] if value else None


def day_month_swapped(value: str | None) -> str | None:
    """ "19610409" -> "19610904": equal to the other record's date when day and month were
    written the other way round."""
    return value[:4] + value[6:8] + value[4:6] if value and len(value) == 8 else None


def month_day(value: str | None) -> str | None:
    return value[4:] if value and len(value) == 8 else None


def last_or_first(first: str | None, last: str | None) -> str | None:
    """The surname, or the first name of a record that has no surname: a name standing
    alone is often the surname in the wrong field ("Strickland" and "Hugh Strickland" in
    Splink's historical persons, where 9% of the records lack a surname), and blocking on
    it with a birth date or a place finds the pair."""
    return last if last is not None else first


def sorted_names(first: str | None, last: str | None) -> str | None:
    """Both name sounds in sorted order: the same when first and last name are swapped."""
    return "|".join(sorted((first, last))) if first and last else None


def compact_date(value: object) -> str | None:
    """ "1961-04-09" -> "19610409" (stored dates are ISO)."""
    text = _text(value)
    return text.replace("-", "") if text else None


def email_local(value: str | None) -> str | None:
    return (value.partition("@")[0] or None) if value else None


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalpha())


def named_user(local: str | None, first: str | None, last: str | None) -> bool | None:
    """Whether an e-mail's user name is made of the record's own names (john.smith, jsmith,
    smith.j80: the first name or surname, three letters or more, inside it). Two different
    people who share their names often share such a user name at different providers."""
    if local is None:
        return None
    user = _letters(local)
    return any(len(n) >= 3 and n in user for n in (_letters(x) for x in (first, last) if x))


def identifier(value: object) -> str | None:
    """Stored identifiers are normalised at load; compare them as text without leading
    zeros: a spreadsheet or a number column drops them ("012345678" became 12345678), and
    two identifiers that differ only by them are one. One of zeros alone is none."""
    text = _text(value)
    return (text.upper().lstrip("0") or None) if text else None


def place(value: object) -> str | None:
    text = _text(value)
    return text.replace(" ", "") if text else None


_DISTRICT = re.compile(r"([^\s-]+)[\s-]+\S")


def postcode_district(value: object) -> str | None:
    """The part of a postcode before its space or hyphen, where it is written with one: the
    outward code of a British postcode ("tq13" of "TQ13 8DF"), a Canadian one's forward
    sortation area, a Dutch one's four digits, a US ZIP+4's ZIP. None for a postcode in
    one piece (a US ZIP): nothing says where its district ends."""
    text = _text(value)
    found = _DISTRICT.match(text) if text else None
    return found.group(1) if found else None


def street(value: object) -> str | None:
    return street_key1(value) or None


def gender(value: object) -> str | None:
    text = _text(value)
    return text[:1] if text else None


def phone_kind(phone_type: object) -> str | None:
    """A shared mobile is strong evidence; a shared landline is a household's."""
    text = _text(phone_type)
    return "mobile" if text == "mobile" else "other"


# derived column -> (source column, rule). Derived columns built on other derived columns
# name those; `derive` computes them in this order.
DERIVED: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "first": ("firstName", first_name),
    "first_sound": ("first", sound),
    "first_nick": ("first", first_nicknames),
    "first_init": ("first", initial),
    "first_is_initial": ("first", is_initial),
    "last": ("lastName", last_name),
    "last_sound": ("last", sound),
    "middle": ("middleName", _folded),
    "middle_init": ("middle", initial),
    "dob": ("dateOfBirth", compact_date),
    "dob_year": ("dob", year),
    "dob_swapped": ("dob", day_month_swapped),
    "dob_md": ("dob", month_day),
    "gender": ("gender", gender),
    "email": ("email", _text),
    "email_local": ("email", email_local),
    "phone": ("phone", _text),
    "phone_kind": ("phoneType", phone_kind),
    "street": ("street", street),
    "postcode_district": ("postcode", postcode_district),  # before "postcode" hides the raw one
    "postcode": ("postcode", place),
    "city": ("city", _folded),
}


def _map_unique(values: Column, rule: Callable[[Any], Any]) -> Column:
    series = pd.Series(values, dtype=object)
    present = series.notna()
    out = np.full(len(values), None, dtype=object)
    if present.any():
        codes, uniques = pd.factorize(series[present])
        mapped = np.array([rule(v) for v in uniques] + [None], dtype=object)
        out[present.to_numpy()] = mapped[codes]
    return out


def derive(records: pd.DataFrame, common: Common | None = None) -> Columns:
    """Every derived column for a frame of records (a column per record field; `id_*`
    columns are declared identifiers), the values in `common` (a model's: too common to
    be evidence) taken as missing."""
    cols: dict[str, Column] = {}

    def source(name: str) -> Column:
        if name in cols:
            return cols[name]
        if name in records:
            return records[name].astype(object).where(records[name].notna(), None).to_numpy()
        return np.full(len(records), None, dtype=object)

    for name, (src, rule) in DERIVED.items():
        if name == "phone_kind":  # for records with a phone, whatever its type says
            kinds = [
                rule(t) if p is not None else None
                for p, t in zip(cols["phone"], source(src), strict=True)
            ]
            cols[name] = np.array([*kinds, None], dtype=object)[:-1]
            continue
        cols[name] = _map_unique(source(src), rule)
    cols["names"] = np.array(
        [*map(sorted_names, cols["first_sound"], cols["last_sound"]), None], dtype=object
    )[:-1]
    cols["last_or_first"] = np.array(
        [*map(last_or_first, cols["first"], cols["last"]), None], dtype=object
    )[:-1]
    cols["email_named"] = np.array(
        [*map(named_user, cols["email_local"], cols["first"], cols["last"]), None], dtype=object
    )[:-1]
    for name in records.columns:
        if str(name).startswith(IDENTIFIER_PREFIX):
            cols[str(name)] = _map_unique(source(str(name)), identifier)
    return without_common(Columns(cols), common or {})


def derive1(record: Mapping[str, Any], common: Common | None = None) -> dict[str, Any]:
    """`derive` for one record (real time), by the same rules."""
    out: dict[str, Any] = {}
    for name, (src, rule) in DERIVED.items():
        value = out[src] if src in out else record.get(src)
        if name == "phone_kind":
            out[name] = rule(value) if out["phone"] is not None else None
            continue
        out[name] = None if value is None else rule(value)
    out["names"] = sorted_names(out["first_sound"], out["last_sound"])
    out["last_or_first"] = last_or_first(out["first"], out["last"])
    out["email_named"] = named_user(out["email_local"], out["first"], out["last"])
    for name, value in record.items():
        if name.startswith(IDENTIFIER_PREFIX):
            out[name] = None if value is None else identifier(value)
    return without_common1(out, common) if common else out


# Values too common to be evidence: a placeholder written where the value was unknown
# (1900-01-01, 0000000, none@example.com) or a value many people are given (1 January of
# a year, for births known by the year only). Found in the training records and kept in
# the model, so batch, real time and every later run read the same values: a value more
# records hold than a factor (Settings.common_value_factor) times the 99th percentile of
# its column's counts, and more than COMMON_MINIMUM. For matching such a value is no value
# (a record that holds it neither agrees nor disagrees by it), as a placeholder name is
# (PLACEHOLDER_NAMES); the record keeps what it says. docs/resolution.md has what this
# changed on outside data.
COMMON_MINIMUM = 10
# column checked -> the columns derived from it that go with it
COMMON_WITH: dict[str, tuple[str, ...]] = {
    "dob": ("dob_year", "dob_swapped", "dob_md"),
    "email": ("email_local", "email_named"),
    "phone": ("phone_kind",),
}
Common = Mapping[str, Any]  # column -> its values too common (a collection of texts)
# Per record, the checked columns whose value was too common (a frozenset), None if none: so
# that an explanation can say why a field both records hold was not compared.
TOO_COMMON = "too_common"


def common_source(column: str) -> str:
    """The checked column that `column` is, or is derived from (COMMON_WITH)."""
    return next((name for name, deps in COMMON_WITH.items() if column in deps), column)


def too_common(values: Column, factor: float) -> dict[str, int]:
    """The values of a column held by more records than `factor` times the 99th percentile
    of its values' counts and than COMMON_MINIMUM, with how many records hold each; none
    for a factor of 0."""
    counts = pd.Series(values, dtype=object).dropna().value_counts()
    if counts.empty or factor <= 0:
        return {}
    limit = max(COMMON_MINIMUM, factor * float(np.quantile(counts.to_numpy(), 0.99)))
    return {str(v): int(n) for v, n in sorted(counts[counts > limit].items())}


def common_values(cols: Columns, factor: float) -> dict[str, dict[str, int]]:
    """Every checked column's values too common (`too_common` at `factor`), with how many
    records hold each: dates of birth, e-mails, phones, declared identifiers."""
    found = {name: too_common(cols[name], factor) for name in _checked(cols) if name in cols}
    return {name: held for name, held in found.items() if held}


def _checked(cols: Mapping[str, Any]) -> list[str]:
    """The columns whose values may be too common to be evidence."""
    return ["dob", "email", "phone", *sorted(n for n in cols if n.startswith(IDENTIFIER_PREFIX))]


def without_common(cols: Columns, common: Common) -> Columns:
    """`cols` with the values too common to be evidence taken as missing, and the columns
    derived from them (COMMON_WITH). Codes are kept (a missing value's is -1), not
    recomputed."""
    masks = {
        name: pd.Series(cols[name], dtype=object).isin(list(common[name])).to_numpy()
        for name in _checked(cols)
        if name in common and name in cols
    }
    masks = {name: mask for name, mask in masks.items() if mask.any()}
    if not masks:
        return cols
    values, codes = dict(cols), dict(cols.codes)
    for name, mask in masks.items():
        for col in (name, *COMMON_WITH.get(name, ())):
            if col not in values:
                continue
            values[col] = values[col].copy()
            values[col][mask] = None
            codes[col] = np.where(mask, -1, codes[col])
    flagged = np.full(len(next(iter(masks.values()))), None, dtype=object)
    for i in np.flatnonzero(np.logical_or.reduce(list(masks.values()))).tolist():
        flagged[i] = frozenset(name for name, mask in masks.items() if mask[i])
    values[TOO_COMMON] = flagged
    return Columns(values, codes)


def without_common1(derived: dict[str, Any], common: Common) -> dict[str, Any]:
    """`without_common` for one record's derivations (`derive1`)."""
    out = dict(derived)
    flagged = [
        name
        for name in _checked(derived)
        if name in common and out.get(name) is not None and out[name] in common[name]
    ]
    for name in flagged:
        for col in (name, *COMMON_WITH.get(name, ())):
            out[col] = None
    if flagged:
        out[TOO_COMMON] = frozenset(flagged)
    return out


def too_common_pairs(
    cols: Columns, compared: Sequence[str], left: Any, right: Any
) -> np.ndarray | None:
    """For each pair (rows) and compared field (columns; a comparison's first): whether it
    was compared as missing because a record's value was too common (None: none was)."""
    flags = cols.get(TOO_COMMON)
    if flags is None:
        return None
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    flagged = np.flatnonzero(cols.present(TOO_COMMON))  # few records: look at those only
    out = np.zeros((len(left), len(compared)), dtype=bool)
    for j, source in enumerate(map(common_source, compared)):
        held = np.zeros(len(flags), dtype=bool)
        held[flagged] = [source in flags[i] for i in flagged.tolist()]
        out[:, j] = held[left] | held[right]
    return out


def stack(rows: list[dict[str, Any]]) -> Columns:
    """One-record derivations (derive1) as columns, for scoring a record with candidates."""
    names = sorted({k for r in rows for k in r})
    return Columns(
        {n: np.array([r.get(n) for r in rows] + [None], dtype=object)[:-1] for n in names}
    )


def identifying_facts(cols: Columns) -> np.ndarray:
    """How many independent facts identify each record: a name, a birth date, an e-mail, a
    phone, a place (street or postcode), each declared identifier."""
    p = cols.present
    facts = (p("first") | p("last")).astype(np.int64) + (p("street") | p("postcode"))
    for name in ("dob", "email", "phone"):
        facts += p(name)
    for name in cols:
        if name.startswith(IDENTIFIER_PREFIX):
            facts += p(name)
    return facts


def sparse(cols: Columns) -> np.ndarray:
    """Records with fewer than two identifying facts (a name alone, a phone alone): they
    take no part in clustering the others and join a profile only on strong evidence."""
    return identifying_facts(cols) < 2
