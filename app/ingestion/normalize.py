"""Normalisers. Each rule is defined once, for one value (`*1` functions, used as they are by
the one-record path); the column versions apply that definition to each distinct value of a
column (or distinct tuple of values), so the batch and one-record paths cannot drift apart.
Trimming and joining columns (`blank_to_na`, `join_parts`) and date-times (`timestamp`)
keep vectorised twins, for speed: every value of every column is trimmed, and event times
are almost all distinct; tests/ingestion/test_scalar_agreement.py keeps them equal."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import phonenumbers
from phonenumbers import (
    Leniency,
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberMatcher,
    PhoneNumberType,
)

EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,}$"
)
STREET_WORDS = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "cres": "crescent",
    "gdns": "gardens",
    "blvd": "boulevard",
    "hwy": "highway",
    "terr": "terrace",
    "apt": "apartment",
    "fl": "flat",
}
_STREET_WORD = re.compile(r"\b(" + "|".join(STREET_WORDS) + r")\b")
_MISSING = object()

Formats = str | Sequence[str] | None


def as_formats(formats: Formats) -> tuple[str, ...]:
    if formats is None:
        return ()
    return (formats,) if isinstance(formats, str) else tuple(formats)


def values(s: pd.Series) -> list[Any]:
    """Column values with every kind of missing (NaN, NA, None) as None."""
    return s.astype(object).where(s.notna(), None).tolist()


def any_match(pattern: str, s: pd.Series) -> bool:
    """Whether any text of the column matches: one search over the joined texts, so that the
    common case (none does) costs one pass in C. The pattern must not match a newline."""
    return re.search(pattern, "\n".join(s.astype("str").tolist())) is not None


def apply1(fn: Callable[..., Any], *columns: pd.Series) -> list[Any]:
    """fn over each row's values (None where missing), computed once per distinct tuple of
    values: names, cities and dates repeat a lot, and a phone parse costs ~50 µs."""
    memo: dict[tuple[Any, ...], Any] = {}
    out = []
    for args in zip(*map(values, columns), strict=True):
        result = memo.get(args, _MISSING)
        if result is _MISSING:
            result = memo[args] = fn(*args)
        out.append(result)
    return out


def _series(items: Sequence[Any], index: pd.Index) -> pd.Series:
    return pd.Series(list(items), index=index, dtype=object)


def unzip(results: list[tuple[Any, ...]], width: int, index: pd.Index) -> list[pd.Series]:
    columns = list(zip(*results, strict=True)) if results else [()] * width
    return [_series(c, index) for c in columns]


# ---- trimming: the one vectorised rule applied to every value ----------------------------

_RUNS = re.compile(r"\s+")


def clean1(value: object) -> str | None:
    """Trimmed, every run of white space one space; empty -> missing."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return " ".join(str(value).split()) or None


# A whole number written as a float: how pandas writes a column of numbers with gaps.
_WHOLE_FLOAT = re.compile(r"^\d+\.0$")


def code1(value: object) -> str | None:
    """`clean1` for a code written in digits (a phone number, postcode or identifier), less
    the ".0" of a whole number written as a float ("447700900123.0", "2119.0"): a file that
    passed through pandas has them, and the dot was then dropped into the code
    ("18049740") or read as more digits of the phone number."""
    v = clean1(value)
    return v[:-2] if v is not None and _WHOLE_FLOAT.match(v) else v


def blank_to_na(s: pd.Series) -> pd.Series:
    """`clean1` over a column. Plain values (printable ASCII without a double space) only
    need their end spaces trimmed, which is done vectorised; any other value goes through
    clean1 itself, so tabs, Unicode spaces and control characters follow one definition."""
    text = s.astype("str")
    plain = ~text.str.contains(r"[^ -~]|  ", regex=True) | s.isna()
    out = text.str.strip(" ").astype(object)
    if not plain.all():
        out[~plain] = apply1(clean1, s[~plain])
    return out.where(s.notna() & out.notna() & (out != ""), None)


def join_parts1(parts: Sequence[object]) -> str | None:
    """Several columns feeding one field: cleaned values joined with one space, blanks
    skipped, in the order the mapping lists the columns."""
    kept = [c for c in map(clean1, parts) if c is not None]
    return " ".join(kept) or None


def join_parts(parts: Sequence[pd.Series]) -> pd.Series:
    if len(parts) == 1:
        return blank_to_na(parts[0])
    cleaned = [blank_to_na(p) for p in parts]
    joined = cleaned[0].fillna("")
    for p in cleaned[1:]:
        joined = joined + " " + p.fillna("")
    # The parts are clean, so only the separators of blank parts need dropping.
    return (
        joined.str.strip(" ")
        .str.replace(r" {2,}", " ", regex=True)
        .where(pd.concat(cleaned, axis=1).notna().any(axis=1), None)
    )


# ---- names and text ---------------------------------------------------------------------


def name1(value: object) -> str | None:
    """Person name parts and cities: trimmed and in title case ("o'NEIL" -> "O'Neil")."""
    out = clean1(value)
    return out.title() if out else None


def lower1(value: object) -> str | None:
    v = clean1(value)
    return v.lower() if v else None


def event_type1(value: object) -> str | None:
    """An interaction's type: lower case, spaces as underscores ("Web Click" -> web_click)."""
    v = clean1(value)
    return v.lower().replace(" ", "_") if v else None


def name(s: pd.Series) -> pd.Series:
    return _series(apply1(name1, s), s.index)


# One address as mail programs and address-book exports write it, "John Smith
# <john.smith@example.com>", or as a link, "mailto:john.smith@example.com".
_NAMED_ADDRESS = re.compile(r"^[^<>]*<(?P<address>[^<>]+)>$")


def email1(value: object) -> tuple[str | None, bool]:
    """(address, bad): lower case, without spaces, a display name or "mailto:"; bad unless
    it is one address."""
    out = clean1(value)
    if out is None:
        return None, False
    named = _NAMED_ADDRESS.match(out)
    if named is not None:
        out = named["address"]
    out = out.lower().replace(" ", "").removeprefix("mailto:")
    return (out, False) if EMAIL.match(out) else (None, True)


def email(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = unzip(apply1(email1, s), 2, s.index)
    return out, bad.astype(bool)


# ---- phones: libphonenumber's rules (the `phonenumbers` port) ----------------------------

PHONE_TYPES: dict[int, str] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "unknown",
    PhoneNumberType.UNKNOWN: "unknown",
}
PHONE_REGIONS: frozenset[str] = frozenset(phonenumbers.SUPPORTED_REGIONS)


def phone_region1(country_: object, default: str) -> str:
    """The region a national number is read in: the record's country when libphonenumber
    knows it, else the default country."""
    return country_ if isinstance(country_, str) and country_ in PHONE_REGIONS else default.upper()


def phone_parts1(value: object, region: str) -> tuple[str | None, str | None, bool]:
    """(E.164, type, bad). Bad means not even a possible number of its country: too short,
    too long, or a local number without its area code. Validity of the number range is not
    required (test and drama ranges, new ranges), so synthetic numbers load. A number that
    starts with 00 where that is not the international prefix (the US dials 011) is read as
    international when it is not possible otherwise: 00 is how most of the world writes it.
    A value with words around one number ("(617) 555-1234 (home)", "Tel: 617 555 1234") is
    that number, found by libphonenumber's matcher; two numbers in one value are bad."""
    raw = code1(value)
    if raw is None:
        return None, None, False
    number = _possible(raw, region)
    if number is None and raw.startswith("00"):
        number = _possible("+" + raw[2:], region)
    if number is None:
        found = [m.raw_string for m in PhoneNumberMatcher(raw, region, Leniency.POSSIBLE)]
        number = _possible(found[0], region) if len(found) == 1 else None
    if number is None:
        return None, None, True
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    kind = _TYPES.get(e164)
    if kind is None:
        if len(_TYPES) >= _TYPES_KEPT:
            _TYPES.clear()
        kind = _TYPES[e164] = PHONE_TYPES.get(phonenumbers.number_type(number), "other")
    return e164, kind, False


# A number's type depends on the number alone (its E.164 form), and finding it is half of
# a parse (libphonenumber matches it against every region sharing its calling code). The
# same numbers come back from several sources, written differently: 74,760 phone values
# at 100k records are 28,689 numbers. Kept across chunks and files, up to _TYPES_KEPT.
_TYPES: dict[str, str] = {}
_TYPES_KEPT = 500_000


def _possible(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    reason = phonenumbers.is_possible_number_with_reason(number)
    return number if reason == phonenumbers.ValidationResult.IS_POSSIBLE else None


def phone1(value: object, default_country: str) -> tuple[str | None, bool]:
    """E.164 of a number written in the default country (the API's lookups)."""
    e164, _, bad = phone_parts1(value, default_country.upper())
    return e164, bad


def phone(s: pd.Series, region: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(E.164, type, bad mask); each distinct (number, region) is parsed once."""
    e164, kind, bad = unzip(apply1(phone_parts1, s, region), 3, s.index)
    return e164, kind, bad.astype(bool)


# ---- countries, places, addresses -------------------------------------------------------

COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB",
    "UNITED KINGDOM": "GB",
    "GREAT BRITAIN": "GB",
    "BRITAIN": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "NORTHERN IRELAND": "GB",
    "IRELAND": "IE",
    "EIRE": "IE",
    "USA": "US",
    "UNITED STATES": "US",
    "UNITED STATES OF AMERICA": "US",
    "GERMANY": "DE",
    "DEUTSCHLAND": "DE",
    "FRANCE": "FR",
    "NETHERLANDS": "NL",
    "HOLLAND": "NL",
    "SPAIN": "ES",
    "ITALY": "IT",
    "BELGIUM": "BE",
    "CANADA": "CA",
    "AUSTRALIA": "AU",
}


def country1(value: object, default: str) -> str:
    """ISO 3166 alpha-2 codes: common names and aliases ("UK", "England") mapped; others kept
    upper-cased; missing -> the default country."""
    c = clean1(value)
    if c is None:
        return default.upper()
    c = c.upper().replace(".", "")
    return COUNTRY_ALIASES.get(c, c)


def country(s: pd.Series, default: str) -> pd.Series:
    return _series(apply1(lambda v: country1(v, default), s), s.index)


_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")
# ZIP codes (the US and the territories that use them) have five digits, the first of them
# 0 in New England, New Jersey and Puerto Rico. A spreadsheet or a number column drops the
# leading zeros ("2119" for 02119, "501" for 00501, the lowest); they are put back.
ZIP_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
_SHORT_ZIP = re.compile(r"^(\d{3,4})(-\d{4})?$")


def postcode1(value: object, country: str | None = None) -> str | None:
    """Upper case with one space before the inward code of a UK-style postcode; a ZIP code
    of a country in ZIP_COUNTRIES written without its leading zeros, with them."""
    p = code1(value)
    if p is None:
        return None
    short = _SHORT_ZIP.match(p) if country in ZIP_COUNTRIES else None
    if short is not None:
        return short[1].zfill(5) + (short[2] or "")
    p = p.upper().replace(" ", "")
    return p[:-3] + " " + p[-3:] if _UK_POSTCODE.match(p) else p


def postcode(s: pd.Series, country: pd.Series) -> pd.Series:
    return _series(apply1(postcode1, s, country), s.index)


def street_key1(value: object) -> str | None:
    """Street for matching: lower case, no punctuation, common abbreviations spelled out."""
    s = clean1(value)
    if s is None:
        return None
    s = re.sub(r"[^\w\s]", " ", s.lower())
    s = _STREET_WORD.sub(lambda m: STREET_WORDS[m.group(1)], s)
    return _RUNS.sub(" ", s).strip()


def address_id1(
    street: str | None, postcode_: str | None, city: str | None, country_: str | None
) -> str | None:
    """Natural key of an address: country|POSTCODE|street (city when there is no postcode)."""
    if street is None or (postcode_ is None and city is None):
        return None
    place = postcode_.replace(" ", "") if postcode_ is not None else (city or "").lower()
    return f"{(country_ or '').upper()}|{place}|{street_key1(street)}"


def address_id(
    street: pd.Series, postcode_: pd.Series, city: pd.Series, country_: pd.Series
) -> pd.Series:
    return _series(apply1(address_id1, street, postcode_, city, country_), street.index)


# ---- marketing consent ------------------------------------------------------------------

# Marketing consent as sources write it. Anything else is a bad value (blanked, with the
# column named), since guessing consent is not an option.
CONSENT_WORDS: dict[str, bool] = {
    **dict.fromkeys(
        (
            "y",
            "yes",
            "true",
            "t",
            "1",
            "opt-in",
            "optin",
            "opted in",
            "opted-in",
            "granted",
            "subscribed",
        ),
        True,
    ),
    **dict.fromkeys(
        (
            "n",
            "no",
            "false",
            "f",
            "0",
            "opt-out",
            "optout",
            "opted out",
            "opted-out",
            "denied",
            "refused",
            "withdrawn",
            "unsubscribed",
        ),
        False,
    ),
}


def consent1(value: object) -> tuple[bool | None, bool]:
    c = clean1(value)
    if c is None:
        return None, False
    word = CONSENT_WORDS.get(c.lower())
    return word, word is None


def consent(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """yes/no-like words -> True/False (object column, None when blank)."""
    val, bad = unzip(apply1(consent1, s), 2, s.index)
    return val, bad.astype(bool)


# The lawful bases of the GDPR (Art. 6(1)) a consent statement may name, as sources spell them.
LEGAL_BASES: dict[str, str] = {
    **dict.fromkeys(("consent",), "consent"),
    **dict.fromkeys(("contract",), "contract"),
    **dict.fromkeys(
        ("legal obligation", "legal_obligation", "legal-obligation"), "legal_obligation"
    ),
    **dict.fromkeys(("vital interests", "vital_interests", "vital-interests"), "vital_interests"),
    **dict.fromkeys(("public task", "public_task", "public-task"), "public_task"),
    **dict.fromkeys(
        (
            "legitimate interests",
            "legitimate_interests",
            "legitimate-interests",
            "legitimate interest",
            "legitimate_interest",
        ),
        "legitimate_interests",
    ),
}


def legal_basis1(value: object) -> tuple[str | None, bool]:
    c = clean1(value)
    if c is None:
        return None, False
    basis = LEGAL_BASES.get(c.lower())
    return basis, basis is None


def legal_basis(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    val, bad = unzip(apply1(legal_basis1, s), 2, s.index)
    return val, bad.astype(bool)


# ---- identifiers and attribute values ---------------------------------------------------

_ID_NOISE = re.compile(r"[\s\-./]+")


def identifier1(value: object) -> str | None:
    """An identifier's key: white space and - . / dropped, upper case ("123-45 6789" and
    "123456789" are one national ID)."""
    v = code1(value)
    if v is None:
        return None
    return _ID_NOISE.sub("", v).upper() or None


def identifier(s: pd.Series) -> pd.Series:
    return _series(apply1(identifier1, s), s.index)


_INTEGER = re.compile(r"^-?(?:0|[1-9]\d{0,17})$")
_DECIMAL = re.compile(r"^-?(?:0|[1-9]\d*)\.\d+$")


def typed1(value: object) -> str | int | float | None:
    """An account attribute: numbers stay numbers (a plan's 5000 MB compares as a number);
    anything else, including codes with leading zeros ("007"), stays text."""
    v = clean1(value)
    if v is None:
        return None
    if _INTEGER.match(v):
        return int(v)
    if _DECIMAL.match(v):
        return float(v)
    return v


def typed(s: pd.Series) -> pd.Series:
    return _series(apply1(typed1, s), s.index)
