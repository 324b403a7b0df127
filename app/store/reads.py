"""What a batch stage's reads send and get back: keys in pages (so that what the store holds
to answer one read is bounded by the page, not by the graph: docs/architecture.md, "Things
learned about FalkorDB") and rows of number lists as flat columns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def pages[T](items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in pages of `size` (a batch stage's reads send a page of keys at a time:
    Settings.read_page)."""
    return [list(items[lo : lo + size]) for lo in range(0, len(items), size)]


@dataclass
class NumberLists:
    """A query's rows as a key column and flat number columns: row k's list in column c is
    columns[c][offsets[k]:offsets[k] + lengths[k]] (every list column has the same lengths)."""

    keys: list[Any]
    lengths: np.ndarray[Any, np.dtype[np.int64]]
    columns: dict[str, np.ndarray[Any, np.dtype[np.float64]]]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]]) -> NumberLists:
        names = list(rows[0]) if rows else []
        lists = names[1:]
        lengths = np.array([len(r[lists[0]]) for r in rows] if lists else [], dtype=np.int64)
        columns = {
            c: np.array([float(v) for r in rows for v in r[c]], dtype=np.float64) for c in lists
        }
        return cls([r[names[0]] for r in rows], lengths, columns)

    @classmethod
    def joined(cls, parts: Sequence[NumberLists]) -> NumberLists:
        """The rows of several reads (pages of one query) one after the other."""
        names = sorted({c for p in parts for c in p.columns})
        empty = np.zeros(0, dtype=np.float64)
        return cls(
            [k for p in parts for k in p.keys],
            np.concatenate([p.lengths for p in parts] or [np.zeros(0, dtype=np.int64)]),
            {c: np.concatenate([p.columns.get(c, empty) for p in parts]) for c in names},
        )
