"""Argument handling: identifiers normalised as on ingestion, page sizes, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from app.api.errors import BadUserInput

MAX_PAGE = 100

# TODO(ingestion): one scalar phone normaliser shared with app/ingestion/normalize.py; these
# rules mirror its vectorised `phone` (same calling codes, trunk 0, 8-15 digits).
_CALLING_CODES: dict[str, str] = {
    "GB": "44", "IE": "353", "US": "1", "CA": "1", "DE": "49", "FR": "33", "NL": "31",
    "BE": "32", "ES": "34", "IT": "39", "PT": "351", "AT": "43", "CH": "41", "SE": "46",
    "NO": "47", "DK": "45", "FI": "358", "PL": "48", "AU": "61", "NZ": "64", "IN": "91",
}  # fmt: skip
_NOT_PHONE = re.compile(r"[^\d+]")


def normalise_email(raw: str) -> str:
    """Lower case without white space, as ingestion stores it."""
    email = "".join(raw.split()).lower()
    if email.count("@") != 1 or email.startswith("@") or email.endswith("@"):
        raise BadUserInput(f"email {raw!r} is not an e-mail address (name@domain)")
    return email


def normalise_phone(raw: str, default_country: str) -> str:
    """To E.164 (+<country><number>). Without a country code the default region's code is
    used and a national trunk 0 is dropped."""
    digits = _NOT_PHONE.sub("", raw)
    if digits.startswith("+"):
        body = digits[1:]
    elif digits.startswith("00"):
        body = digits[2:]
    else:
        cc = _CALLING_CODES.get(default_country.upper())
        if cc is None:
            raise BadUserInput(
                f"phone {raw!r} has no country code and the default country "
                f"{default_country!r} is not known: write it as +<country code><number>"
            )
        body = cc + (digits[1:] if digits.startswith("0") else digits)
    if not body.isdigit() or not 8 <= len(body) <= 15:
        raise BadUserInput(f"phone {raw!r} is not a phone number (8 to 15 digits)")
    return "+" + body


def normalise_device(raw: str) -> str:
    device = " ".join(raw.split())
    if not device:
        raise BadUserInput("deviceId is empty")
    return device


def page_size(first: int | None, default: int) -> int:
    """`first` as a row count: the default when absent, at most MAX_PAGE."""
    if first is None:
        return default
    if first < 0:
        raise BadUserInput(f"first must be 0 or more, not {first}")
    return min(first, MAX_PAGE)


def encode_cursor(kind: str, *key: str | int) -> str:
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """The key inside a cursor made by encode_cursor(kind, ...), checked against types."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if (
        isinstance(value, list)
        and len(value) == len(types) + 1
        and value[0] == kind
        and all(type(v) is t for v, t in zip(value[1:], types, strict=True))
    ):
        return tuple(value[1:])
    raise BadUserInput(f"after={cursor!r} is not a cursor of this list; use an endCursor from it")
