"""The values the resolver compares and blocks on, derived from a record's stored fields.

Each derived value has one scalar rule (`DERIVED`); a column applies that rule to each
distinct value of its source field, so batch (`derive`) and real time (`derive1`) share the
same definition and the batch cost grows with distinct values, not rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from doublemetaphone import doublemetaphone
from nicknames import NickNamer

from app.ingestion.names import NAME_TITLES, fold
from app.ingestion.normalize import street_key1
from app.resolution.columns import (
    ATTRIBUTE_PREFIX,
    IDENTIFIER_PREFIX,
    Column,
    Columns,
    identifier_halves,
)
from app.resolution.common import Common, without_common, without_common1

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
        # a person written by their place in the household, as census forms get them
        *("lady in the", "lady of", "lady of the", "lady of house", "lady of the house"),
        *("man in the", "man of", "man of the", "man of house", "man of the house"),
        *("gentleman of", "son of", "daughter of", "head of household", "head of house"),
        *("of the house", "of house", "of the home", "the house", "de la casa", "de casa"),
        *("no last name", "last name", "first name", "dont know", "don't know"),
        *("male child", "female child", "gentleman", "gentlemen", "gentelman", "woman"),
        *("mother", "father", "mom", "dad", "wife", "daughter", "grandson", "granddaughter"),
        *("grandchild", "nephew", "niece", "oldest", "youngest", "inmate", "hijo", "hija"),
        *("senor", "senora", "apellido", "respondant", "refuse"),
    }
)
_NICKNAMES = NickNamer()
_NOT_DIGIT = re.compile(r"\D")


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


# An identifier shorter than this has no halves: halves of two characters or fewer would
# block records by next to nothing.
HALVED_LENGTH = 7


def identifier_head(value: str) -> str | None:
    """The first part of a derived identifier (`identifier`) before its middle, which is one
    character of an odd length and two of an even one ("1234" of "123456789", "123" of
    "12345678"). With `identifier_tail` it blocks two identifiers one typo apart: a character
    replaced or two neighbours swapped leave the head or the tail as they were, and so does a
    character dropped from an even length (9 of 10 characters keep halves of 4)."""
    half = (len(value) - 1) // 2
    return value[:half] if len(value) >= HALVED_LENGTH else None


def identifier_tail(value: str) -> str | None:
    """The last part of a derived identifier after its middle ("6789" of "123456789")."""
    half = (len(value) - 1) // 2
    return value[-half:] if len(value) >= HALVED_LENGTH else None


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


_HOUSE_NUMBER = re.compile(r"(\d+[a-z]?)\b")


def house_number(value: str | None) -> str | None:
    """The number a (matching form of a) street starts with: "2333" of "2333 westminster
    place", where a typo in the street's name leaves it whole. None for a street without
    one."""
    found = _HOUSE_NUMBER.match(value) if value else None
    return found.group(1) if found else None


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
    "middle": ("middleName", first_name),  # a given name too: "J." is "j", "Youngest" none
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
    "street_no": ("street", house_number),
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
    for name in map(str, records.columns):
        if name.startswith(IDENTIFIER_PREFIX):
            cols[name] = _map_unique(source(name), identifier)
            head, tail = identifier_halves(name)
            cols[head] = _map_unique(cols[name], identifier_head)
            cols[tail] = _map_unique(cols[name], identifier_tail)
        elif name.startswith(ATTRIBUTE_PREFIX):
            cols[name] = _map_unique(source(name), _folded)
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
            head, tail = identifier_halves(name)
            out[head] = None if out[name] is None else identifier_head(out[name])
            out[tail] = None if out[name] is None else identifier_tail(out[name])
        elif name.startswith(ATTRIBUTE_PREFIX):
            out[name] = _folded(value)
    return without_common1(out, common) if common else out


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
