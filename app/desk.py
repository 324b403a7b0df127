"""What the steward desk shows of a pair of records: their fields side by side, each marked
as agreeing, disagreeing or missing on one side; and a match's explanation in plain words.
Pure functions over what the GraphQL API returns (the desk page and its tests use them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SIDE_BY_SIDE: tuple[tuple[str, str], ...] = (
    ("firstName", "first name"),
    ("lastName", "surname"),
    ("dateOfBirth", "birth date"),
    ("gender", "gender"),
    ("emails", "e-mails"),
    ("phones", "phones"),
    ("addresses", "addresses"),
)
# What a mapping declares beyond them, as GraphQL gives it: (field, the key naming each).
DECLARED: tuple[tuple[str, str], ...] = (("declaredIdentifiers", "type"), ("attributes", "name"))
SAME, DIFFERENT, MISSING = "same", "different", "missing"


@dataclass(frozen=True)
class FieldRow:
    label: str
    a: str
    b: str
    state: str  # same, different or missing (on one side or both)


def _text(record: Mapping[str, Any], field: str) -> str:
    value = record.get(field)
    if isinstance(value, list):
        parts = [str(next(iter(v.values()), "")) if isinstance(v, dict) else str(v) for v in value]
        return ", ".join(sorted(p for p in parts if p))
    return "" if value is None else str(value)


def side_by_side(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[FieldRow]:
    """The two records' fields in one table, then each declared identifier and attribute
    either holds (`declaredIdentifiers`, `attributes`) by its type or name. Text compares
    without case or surrounding space; lists agree when they share a value."""
    rows = [
        _row(label, _text(a, field), _text(b, field), isinstance(a.get(field), list))
        for field, label in SIDE_BY_SIDE
    ]
    for field, key in DECLARED:
        named = [{v[key]: str(v["value"]) for v in r.get(field) or []} for r in (a, b)]
        for name in sorted(set(named[0]) | set(named[1])):
            rows.append(_row(name, named[0].get(name, ""), named[1].get(name, ""), False))
    return rows


def _row(label: str, left: str, right: str, listed: bool) -> FieldRow:
    if not left or not right:
        state = MISSING
    elif listed:
        shared = {s.strip().lower() for s in left.split(",")} & {
            s.strip().lower() for s in right.split(",")
        }
        state = SAME if shared else DIFFERENT
    else:
        state = SAME if left.strip().lower() == right.strip().lower() else DIFFERENT
    return FieldRow(label, left, right, state)


@dataclass(frozen=True)
class Reason:
    words: str  # "same surname +2.1"
    weight: float
    width: int  # bar width in percent of the strongest push


def explain(explanation: Sequence[Mapping[str, Any]]) -> list[Reason]:
    """A match's per-field pushes as plain words with bar widths: "same surname +2.1",
    "different birth date -3.4"."""
    strongest = max((abs(float(e["weight"])) for e in explanation), default=0.0) or 1.0
    return [
        Reason(
            f"{e['level']} {e['label']} {float(e['weight']):+.1f}",
            float(e["weight"]),
            max(4, round(100 * abs(float(e["weight"])) / strongest)),
        )
        for e in explanation
    ]
