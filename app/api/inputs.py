"""Argument handling: identifiers normalised as on ingestion, page sizes, opaque cursors,
probabilities, reasons."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from graphene import relay

from app.api.errors import BadUserInput
from app.ingestion import normalize as norm
from app.ingestion.identifiers import identifier_types
from app.ingestion.rows import identifier_id
from app.store import GraphStore

MAX_PAGE = 100


def normalise_email(raw: str) -> str:
    """Lower case without white space, by the rules ingestion stores it with."""
    email, _ = norm.email1(raw)
    if email is None:
        raise BadUserInput(f"email {raw!r} is not an e-mail address (name@domain)")
    return email


def normalise_phone(raw: str, default_country: str) -> str:
    """To E.164, by the rules ingestion stores it with (default region for national numbers)."""
    phone, _ = norm.phone1(raw, default_country)
    if phone is None:
        raise BadUserInput(
            f"phone {raw!r} is not a phone number: 8 to 15 digits, national for "
            f"{default_country} or written as +<country code><number>"
        )
    return phone


def normalise_device(raw: str) -> str:
    device = " ".join(raw.split())
    if not device:
        raise BadUserInput("deviceId is empty")
    return device


def declared_identifier_key(store: GraphStore, identifier: Mapping[str, Any]) -> str:
    """The Identifier key of a declared identifier as a caller gives it ({type, value}): the
    type one a mapping declared, the value normalised as a file's ("160-69-0961" is
    160690961)."""
    types = identifier_types(store)
    kind = str(identifier.get("type"))
    if kind not in types:
        raise BadUserInput(
            f"identifier type {kind!r} is not declared; the declared types are "
            f"{sorted(types) or 'none'}"
        )
    value = norm.identifier1(identifier.get("value"))
    if value is None:
        raise BadUserInput(f"the {kind} to look up is empty")
    return identifier_id(kind, value)


def page_size(first: int | None, default: int) -> int:
    """`first` as a row count: the default when absent, at most MAX_PAGE."""
    if first is None:
        return default
    if first < 0:
        raise BadUserInput(f"first must be 0 or more, not {first}")
    return min(first, MAX_PAGE)


def page_info(after: str | None, cursors: list[str], has_next: bool) -> relay.PageInfo:
    """Forward paging only: hasPreviousPage says whether this page started after a cursor."""
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else after,
    )


def encode_cursor(kind: str, *key: str | int | float) -> str:
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


def probability(name: str, value: float | None, default: float) -> float:
    """A probability argument: the default when absent (or null), else between 0 and 1."""
    if value is None:
        return default
    if not 0.0 <= value <= 1.0:
        raise BadUserInput(f"{name} must be between 0 and 1, not {value}")
    return float(value)


MAX_REASON = 2000


def reason(raw: str) -> str:
    """A steward's reason: trimmed, not empty, at most MAX_REASON characters."""
    value = raw.strip()
    if not value:
        raise BadUserInput("give a reason: it goes into the audit trail with the change")
    if len(value) > MAX_REASON:
        raise BadUserInput(f"the reason is {len(value)} characters long; at most {MAX_REASON}")
    return value
