"""Derived columns as the resolver holds them: object arrays by name, with integer codes for
fast equality tests (`Columns`), and one-record derivations stacked into columns (`stack`).
Split from app/resolution/fields.py, which derives them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

# Declared identifiers' columns (id_nationalId, id_loyaltyNumber) and compared attributes'
# (attr_occupation): the record's own properties, by the same names.
from app.ingestion.fields import ATTRIBUTE_PREFIX, IDENTIFIER_PREFIX

# Each identifier's first and last half (app/resolution/fields.py `identifier_head`, `_tail`), for
# blocking a typo-tolerant one: "head_id_nationalId", "tail_id_nationalId".
HALF_PREFIXES = ("head_", "tail_")


def identifier_halves(column: str) -> tuple[str, ...]:
    """The key parts of an identifier's column's two halves."""
    return tuple(prefix + column for prefix in HALF_PREFIXES)


def declared(name: str) -> bool:
    """A declared identifier's or a compared attribute's column (compared by the kind the
    mapping gave it, `comparisons.declared_comparison`)."""
    return name.startswith((IDENTIFIER_PREFIX, ATTRIBUTE_PREFIX))


def halved(part: str) -> str | None:
    """The identifier's column a half's key part is of (None for any other part)."""
    for prefix in HALF_PREFIXES:
        if part.startswith(prefix + IDENTIFIER_PREFIX):
            return part[len(prefix) :]
    return None


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


def stack(rows: list[dict[str, Any]]) -> Columns:
    """One-record derivations (derive1) as columns, for scoring a record with candidates."""
    names = sorted({k for r in rows for k in r})
    return Columns(
        {n: np.array([r.get(n) for r in rows] + [None], dtype=object)[:-1] for n in names}
    )
