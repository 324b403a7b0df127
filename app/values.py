"""What a value from outside may be: one set of rules for every door (files, GraphQL, the
CLI) and for the store's last look at a query's parameters before they reach the backend.

Text is trimmed by the doors (app/ingestion/normalize.py `clean1`: every run of white space
one space). After that, a NUL byte is bad input anywhere; a key or identifier (a node's unique
key, and each value one is built from) also may not hold any other control character, start
or end with white space, or be longer than MAX_KEY_BYTES; a list or an object where one value
is expected is refused. docs/robustness.md says why, and what each door does with a refusal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from app.errors import BadValue

# Embedded FalkorDB 4.22 crashes (signal 11 in EnforceUniqueEntity) on a unique key longer
# than 4,096 bytes (docs/falkordb-crash.md). Half of that leaves a margin, and is far beyond
# any real key: the doors' own limit per value is IDGRAPH_MAX_FIELD_LENGTH characters.
MAX_KEY_BYTES = 2048
# A source system's name: part of every customerId and interactionId ("<source>:<key>") and
# of the quarantine file's name, so no ':' and nothing a file name would trip over.
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
MAX_SOURCE = 40

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Control characters that are not white space to Python (white space is collapsed to one
# space by trimming): what makes a value from a file or a record bad. One pattern for the
# one-value check and the column check (pandas str.contains).
BAD_CHARS = r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]"
_BAD_CHAR = re.compile(BAD_CHARS)
_SCALARS = frozenset({type(None), int, float, bool})


def char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def text_problem(value: str) -> str | None:
    """Why a text value cannot be stored, or None: only a NUL byte (every store and file
    format treats it as the end of the text, and FalkorDB refuses it as a parameter)."""
    if "\x00" in value:
        return "contains a NUL byte"
    return None


def value_problem(value: str) -> str | None:
    """Why a value from a file or a record is bad, or None: a NUL byte or another control
    character that is not white space (a broken export; it would also reach the keys built
    from the value, such as an address key)."""
    if "\x00" in value:
        return "contains a NUL byte"
    m = _BAD_CHAR.search(value)
    return f"contains a control character ({char_name(m.group(0))})" if m else None


def key_problem(value: str, max_bytes: int = MAX_KEY_BYTES) -> str | None:
    """Why a key or identifier cannot be used, or None."""
    if "\x00" in value:
        return "contains a NUL byte"
    m = _CONTROL.search(value)
    if m:
        return f"contains a control character ({char_name(m.group(0))})"
    if value != value.strip():
        return "starts or ends with white space"
    if not value:
        return "is empty"
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return f"is {size:,} bytes long; a key may have at most {max_bytes:,}"
    return None


def scalar_problem(value: object) -> str | None:
    """A list or an object (nested JSON, a Parquet list or struct) where one value belongs."""
    if isinstance(value, Mapping):
        return "an object where a single value is expected"
    if isinstance(value, list | tuple | set):
        return "a list where a single value is expected"
    return None


def control_free(value: str) -> bool:
    return _CONTROL.search(value) is None


def source_name(raw: object) -> str:
    """A source system's name, trimmed; BadValue says why one is refused."""
    if not isinstance(raw, str):
        raise BadValue(f"source: {scalar_problem(raw) or 'not a text'}")
    name = raw.strip()
    if not SOURCE_NAME.match(name):
        shown = name if control_free(name) and len(name) <= MAX_SOURCE else None
        raise BadValue(
            "source: a source system's name is 1 to 40 letters, digits, '_' or '-', "
            "starting with a letter or digit" + (f"; {shown!r} is not" if shown is not None else "")
        )
    return name


def check_key(field: str, value: str, max_chars: int | None = None) -> str:
    """A key or identifier from a caller, trimmed (runs of white space as one space) and
    checked; BadValue names the field and the reason."""
    if not isinstance(value, str):
        raise BadValue(f"{field}: {scalar_problem(value) or 'not a text'}")
    text = " ".join(value.split())
    if max_chars is not None and len(text) > max_chars:
        raise BadValue(f"{field}: {len(text):,} characters long; at most {max_chars:,}")
    problem = key_problem(text)
    if problem:
        raise BadValue(f"{field}: {problem}")
    return text


def check_text(field: str, value: str, max_chars: int | None = None) -> str:
    """A free text from a caller (a reason, a name), checked, as given."""
    problem = text_problem(value)
    if problem:
        raise BadValue(f"{field}: {problem}")
    if max_chars is not None and len(value) > max_chars:
        raise BadValue(f"{field}: {len(value):,} characters long; at most {max_chars:,}")
    return value


def parameter_problem(
    params: Mapping[str, Any], key_names: frozenset[str], write: bool
) -> str | None:
    """The store's last check of a query's parameters: no NUL byte in any text, no float that
    is not a finite number (FalkorDB's query text has no literal for one; Neo4j would store
    it), and in a write, every text under the name of a unique key property (customerId,
    email, addressId, ...: the queries pass keys under their property's name) must be a
    usable key. Returns `name: reason` for the first value refused. Iterative (a nested value
    cannot exhaust the stack) and quick on batches of rows: a list's numbers and texts are
    checked where they are found, not stacked one by one (a metrics batch writes histories
    by the million)."""

    def text(name: str, value: str) -> str | None:
        if write and name in key_names:
            problem = key_problem(value)
            return f"{name}: {problem}" if problem else None
        return f"{name}: contains a NUL byte" if "\x00" in value else None

    def not_finite(name: str, value: float) -> str:
        return f"{name}: {value} is not a finite number"

    def items(name: str, values: Iterable[Any]) -> str | None:
        for v in values:
            kind = type(v)
            if kind is str:
                if problem := text(name, v):
                    return problem
            elif kind is float:
                if v - v:  # nan for an infinity or a NaN, 0.0 otherwise
                    return not_finite(name, v)
            elif kind not in _SCALARS:
                stack.append((name, v))
        return None

    stack: list[tuple[str, Any]] = [("", params)]
    while stack:
        name, value = stack.pop()
        if type(value) is str:
            if problem := text(name, value):
                return problem
            continue
        if isinstance(value, list | tuple):
            if problem := items(name, value):
                return problem
            continue
        if not isinstance(value, Mapping):
            continue
        for k, v in value.items():
            kind = type(v)
            if kind is str:
                if problem := text(k, v):
                    return problem
            elif kind is float:
                if v - v:
                    return not_finite(k, v)
            elif kind in _SCALARS:
                continue
            elif kind is list or kind is tuple:
                if problem := items(k, v):
                    return problem
            elif isinstance(v, Mapping | list | tuple):
                stack.append((k, v))
    return None


def printable(value: str, limit: int = 60) -> str:
    """A value as it may be shown back in a message: control characters escaped, cut."""
    shown = "".join(
        ch if unicodedata.category(ch) != "Cc" else f"\\x{ord(ch):02x}" for ch in value[:limit]
    )
    return shown + ("…" if len(value) > limit else "")
