"""Arguments are normalised as on ingestion; cursors are opaque and checked."""

from __future__ import annotations

import pytest

from app.api.errors import BadUserInput
from app.api.inputs import (
    MAX_PAGE,
    decode_cursor,
    encode_cursor,
    normalise_device,
    normalise_email,
    normalise_phone,
    page_size,
)


def test_email() -> None:
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
    assert normalise_email("ada @example.com") == "ada@example.com"
    for bad in ("", "ada", "@example.com", "ada@", "a@b@c"):
        with pytest.raises(BadUserInput):
            normalise_email(bad)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("07700 900123", "GB", "+447700900123"),
        ("+44 7700 900123", "GB", "+447700900123"),
        ("0044 (7700) 900-123", "US", "+447700900123"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("030 1234567", "de", "+49301234567"),
    ],
)
def test_phone_to_e164(raw: str, country: str, e164: str) -> None:
    assert normalise_phone(raw, country) == e164


def test_phone_errors_say_what_to_do() -> None:
    with pytest.raises(BadUserInput, match="8 to 15 digits"):
        normalise_phone("123", "GB")
    with pytest.raises(BadUserInput, match=r"\+<country code><number>"):
        normalise_phone("0123 456789", "XX")
    assert normalise_phone("+33 1 23 45 67 89", "XX") == "+33123456789"


def test_device() -> None:
    assert normalise_device("  tab  42 ") == "tab 42"
    with pytest.raises(BadUserInput):
        normalise_device(" ")


def test_page_size() -> None:
    assert page_size(None, 10) == 10
    assert page_size(0, 10) == 0
    assert page_size(5000, 10) == MAX_PAGE
    with pytest.raises(BadUserInput):
        page_size(-1, 10)


def test_cursor_round_trip() -> None:
    cursor = encode_cursor("interaction", 1_700_000_000_000, "web:é/1")
    assert "=" not in cursor and "web" not in cursor
    assert decode_cursor(cursor, "interaction", (int, str)) == (1_700_000_000_000, "web:é/1")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        encode_cursor("customer", "crm:1"),  # another list's cursor
        encode_cursor("interaction", "1", "crm:1"),  # wrong types
        encode_cursor("interaction", 1),  # too short
    ],
)
def test_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(BadUserInput, match="not a cursor of this list"):
        decode_cursor(cursor, "interaction", (int, str))
