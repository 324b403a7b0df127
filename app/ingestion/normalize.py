"""Vectorised normalisers: each takes raw strings and returns (clean values, error mask)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd

# Calling codes for the default region of a phone number written without one.
CALLING_CODES: dict[str, str] = {
    "GB": "44", "IE": "353", "US": "1", "CA": "1", "DE": "49", "FR": "33", "NL": "31",
    "BE": "32", "ES": "34", "IT": "39", "PT": "351", "AT": "43", "CH": "41", "SE": "46",
    "NO": "47", "DK": "45", "FI": "358", "PL": "48", "AU": "61", "NZ": "64", "IN": "91",
}  # fmt: skip

EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.[a-z]{2,}$"
)
STREET_WORDS = {
    "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive",
    "ct": "court", "pl": "place", "sq": "square", "cres": "crescent", "gdns": "gardens",
    "blvd": "boulevard", "hwy": "highway", "terr": "terrace", "apt": "apartment", "fl": "flat",
}  # fmt: skip
_STREET_WORD = re.compile(r"\b(" + "|".join(STREET_WORDS) + r")\b")


_EPOCH = pd.Timestamp(0, tz="UTC")


def blank_to_na(s: pd.Series) -> pd.Series:
    """Trim, collapse inner white space; empty strings become missing."""
    out = s.astype("str").str.strip()
    # A regex over every value costs ~20x a plain search: collapse only where needed.
    runs = out.str.contains("  ", regex=False) | out.str.contains(r"[\t\r\n]", regex=True)
    if runs.any():
        out = out.mask(runs, out[runs].str.replace(r"\s+", " ", regex=True))
    return out.where(out != "", None).where(s.notna(), None)


def name(s: pd.Series) -> pd.Series:
    """Person name parts: trimmed and in title case ("o'NEIL" -> "O'Neil")."""
    return blank_to_na(s).str.title()


def split_full_name(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'First Middle Last' or 'Last, First' -> (first, last)."""
    full = blank_to_na(full).astype("str")
    comma = full.str.extract(r"^(?P<last>[^,]+?)\s*,\s*(?P<first>\S+)")
    plain = full.str.extract(r"^(?P<first>[^\s,]+)(?:.*\s(?P<last>\S+))?$")
    has_comma = comma["last"].notna()
    first = comma["first"].where(has_comma, plain["first"])
    last = comma["last"].where(has_comma, plain["last"])
    return name(first), name(last)


def email(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = blank_to_na(s).str.lower().str.replace(" ", "", regex=False)
    bad = out.notna() & ~out.str.match(EMAIL, na=False)
    return out.where(~bad, None), bad


def phone(s: pd.Series, default_country: str) -> tuple[pd.Series, pd.Series]:
    """To E.164 (+<country><number>). Written without a country code, the default region's
    code is used and a national trunk 0 is dropped. 8-15 digits in all, else an error."""
    raw = blank_to_na(s)
    present = raw.notna()
    # "+44 (0)7700 900123": the bracketed trunk 0 is not dialled after a country code.
    digits = raw.str.replace("(0)", "", regex=False).str.replace(r"[^\d+]", "", regex=True)
    cc = CALLING_CODES.get(default_country.upper(), "")
    plus = digits.str.startswith("+", na=False)
    intl = digits.str.startswith("00", na=False)
    trunk = digits.str.startswith("0", na=False) & ~intl
    body = digits.str.replace("+", "", regex=False)
    e164 = (
        body.where(plus | intl | trunk, cc + body)
        .where(~intl, body.str[2:])
        .where(~trunk, cc + body.str[1:])
    )
    n = e164.str.len()
    bad = present & (e164.isna() | ~e164.str.isdigit().fillna(False) | (n < 8) | (n > 15))
    bad |= present & ~plus & ~intl & (cc == "")
    return ("+" + e164).where(present & ~bad, None), bad


COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB", "UNITED KINGDOM": "GB", "GREAT BRITAIN": "GB", "BRITAIN": "GB", "ENGLAND": "GB",
    "SCOTLAND": "GB", "WALES": "GB", "NORTHERN IRELAND": "GB", "IRELAND": "IE", "EIRE": "IE",
    "USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "GERMANY": "DE",
    "DEUTSCHLAND": "DE", "FRANCE": "FR", "NETHERLANDS": "NL", "HOLLAND": "NL", "SPAIN": "ES",
    "ITALY": "IT", "BELGIUM": "BE", "CANADA": "CA", "AUSTRALIA": "AU",
}  # fmt: skip


def country(s: pd.Series, default: str) -> pd.Series:
    """ISO 3166 alpha-2 codes: common names and aliases ("UK", "England") mapped; others kept
    upper-cased; missing -> the default country."""
    up = blank_to_na(s).str.upper().str.replace(".", "", regex=False)
    return up.replace(COUNTRY_ALIASES).fillna(default.upper())


def date(s: pd.Series, fmt: str | None) -> tuple[pd.Series, pd.Series]:
    """Dates to ISO YYYY-MM-DD; with no format, ISO 8601 input is expected."""
    raw = blank_to_na(s)
    parsed = pd.to_datetime(raw, format=fmt or "ISO8601", errors="coerce")
    bad = raw.notna() & (parsed.isna() | (parsed.dt.year < 1900) | (parsed > pd.Timestamp.now()))
    return parsed.dt.strftime("%Y-%m-%d").where(~bad & raw.notna(), None), bad


def timestamp(s: pd.Series, fmt: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Date-times to (ISO string, epoch milliseconds, error mask). Naive times are UTC."""
    raw = blank_to_na(s)
    parsed = pd.to_datetime(raw, format=fmt or "ISO8601", errors="coerce", utc=True)
    bad = raw.notna() & parsed.isna()
    iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S")
    ms = ((parsed - _EPOCH) // pd.Timedelta(milliseconds=1)).fillna(0).astype("int64")
    return iso.where(~parsed.isna(), None), ms, bad


def number(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    raw = blank_to_na(s)
    val = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & val.isna()
    return val, bad


def postcode(s: pd.Series) -> pd.Series:
    """Upper case with one space before the inward code of a UK-style postcode."""
    p = blank_to_na(s).str.upper().str.replace(" ", "", regex=False)
    uk = p.str.match(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$", na=False)
    return p.where(~uk, p.str[:-3] + " " + p.str[-3:])


def street_key(s: pd.Series) -> pd.Series:
    """Street for matching: lower case, no punctuation, common abbreviations spelled out."""
    out = blank_to_na(s).str.lower().str.replace(r"[^\w\s]", " ", regex=True)
    out = out.str.replace(_STREET_WORD, lambda m: STREET_WORDS[m.group(1)], regex=True)
    return out.str.replace(r"\s+", " ", regex=True).str.strip()


def address_id(
    street: pd.Series, postcode_: pd.Series, city: pd.Series, country: pd.Series
) -> pd.Series:
    """Natural key of an address: country|POSTCODE|street (city when there is no postcode)."""
    place = postcode_.str.replace(" ", "", regex=False).where(postcode_.notna(), city.str.lower())
    key = country.fillna("").str.upper() + "|" + place.fillna("") + "|" + street_key(street)
    return key.where(street.notna() & (postcode_.notna() | city.notna()), None)


# Scalar twins of the column functions above, for one record at a time (the real-time
# path, where pandas' per-call overhead would dominate). They follow the same rules;
# tests/ingestion/test_scalar_agreement.py checks both give the same rows on the
# synthetic sources.
_RUNS = re.compile(r"\s+")
_NOT_DIAL = re.compile(r"[^\d+]")
_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")
_COMMA_NAME = re.compile(r"^(?P<last>[^,]+?)\s*,\s*(?P<first>\S+)")
_PLAIN_NAME = re.compile(r"^(?P<first>[^\s,]+)(?:.*\s(?P<last>\S+))?$")


def clean1(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    out = str(value).strip()
    if "  " in out or "\t" in out or "\r" in out or "\n" in out:
        out = _RUNS.sub(" ", out)
    return out or None


def name1(value: object) -> str | None:
    out = clean1(value)
    return out.title() if out else None


def split_full_name1(value: object) -> tuple[str | None, str | None]:
    full = clean1(value)
    if full is None:
        return None, None
    m = _COMMA_NAME.match(full)
    if m:
        return name1(m["first"]), name1(m["last"])
    m = _PLAIN_NAME.match(full)
    return (name1(m["first"]), name1(m["last"])) if m else (None, None)


def email1(value: object) -> tuple[str | None, bool]:
    out = clean1(value)
    if out is None:
        return None, False
    out = out.lower().replace(" ", "")
    return (out, False) if EMAIL.match(out) else (None, True)


def phone1(value: object, default_country: str) -> tuple[str | None, bool]:
    raw = clean1(value)
    if raw is None:
        return None, False
    digits = _NOT_DIAL.sub("", raw.replace("(0)", ""))
    cc = CALLING_CODES.get(default_country.upper(), "")
    plus, intl = digits.startswith("+"), digits.startswith("00")
    trunk = digits.startswith("0") and not intl
    body = digits.replace("+", "")
    if intl:
        e164 = body[2:]
    elif trunk:
        e164 = cc + body[1:]
    elif plus:
        e164 = body
    else:
        e164 = cc + body
    bad = not e164.isdigit() or not 8 <= len(e164) <= 15 or (not plus and not intl and not cc)
    return (None, True) if bad else ("+" + e164, False)


def _parse1(raw: str, fmt: str | None) -> datetime | None:
    try:
        return datetime.strptime(raw, fmt) if fmt else datetime.fromisoformat(raw)
    except ValueError:
        return None


def date1(value: object, fmt: str | None) -> tuple[str | None, bool]:
    raw = clean1(value)
    if raw is None:
        return None, False
    parsed = _parse1(raw, fmt)
    if parsed is None:
        return None, True
    naive = parsed.replace(tzinfo=None)
    if naive.year < 1900 or naive > datetime.now():
        return None, True
    return naive.strftime("%Y-%m-%d"), False


def timestamp1(value: object, fmt: str | None) -> tuple[str | None, int, bool]:
    raw = clean1(value)
    if raw is None:
        return None, 0, False
    parsed = _parse1(raw, fmt)
    if parsed is None:
        return None, 0, True
    aware = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S"), int(aware.timestamp() * 1000), False


def postcode1(value: object) -> str | None:
    p = clean1(value)
    if p is None:
        return None
    p = p.upper().replace(" ", "")
    return p[:-3] + " " + p[-3:] if _UK_POSTCODE.match(p) else p


def street_key1(value: object) -> str | None:
    s = clean1(value)
    if s is None:
        return None
    s = re.sub(r"[^\w\s]", " ", s.lower())
    s = _STREET_WORD.sub(lambda m: STREET_WORDS[m.group(1)], s)
    return _RUNS.sub(" ", s).strip()


def address_id1(
    street: str | None, postcode_: str | None, city: str | None, country_: str | None
) -> str | None:
    if street is None or (postcode_ is None and city is None):
        return None
    place = postcode_.replace(" ", "") if postcode_ is not None else (city or "").lower()
    return f"{(country_ or '').upper()}|{place}|{street_key1(street)}"


def country1(value: object, default: str) -> str:
    c = clean1(value)
    if c is None:
        return default.upper()
    c = c.upper().replace(".", "")
    return COUNTRY_ALIASES.get(c, c)


# Marketing consent as sources write it. Anything else is a bad value (the row is
# quarantined with the column named), since guessing consent is not an option.
CONSENT_WORDS: dict[str, bool] = {
    **dict.fromkeys(("y", "yes", "true", "t", "1", "opt-in", "optin", "opted in",
                     "opted-in", "granted", "subscribed"), True),
    **dict.fromkeys(("n", "no", "false", "f", "0", "opt-out", "optout", "opted out",
                     "opted-out", "denied", "refused", "withdrawn", "unsubscribed"), False),
}  # fmt: skip


def consent(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """yes/no-like words -> True/False (object column, None when blank)."""
    raw = blank_to_na(s)
    val = raw.str.lower().map(CONSENT_WORDS)
    bad = raw.notna() & val.isna()
    return val.astype(object).where(val.notna(), None), bad


def consent1(value: object) -> tuple[bool | None, bool]:
    c = clean1(value)
    if c is None:
        return None, False
    word = CONSENT_WORDS.get(c.lower())
    return word, word is None
