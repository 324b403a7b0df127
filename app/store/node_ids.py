"""Nodes' internal IDs by key, as a bulk load links relationships by them: looked up a column
at a time (pandas' hash index) rather than by a Python dict lookup per relationship end (a
million relationships cost seconds that way)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from app.errors import StoreError


@dataclass(frozen=True)
class NodeIds:
    """One label's nodes: their keys and, in the same order, their internal IDs."""

    keys: pd.Index
    ids: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]], label: str, prop: str) -> NodeIds:
        """From rows of (key, internal ID), as `MATCH (n:label) RETURN n.prop, id(n)` gives."""
        keys = pd.Index([k for k, _ in rows], dtype=object)
        if not keys.is_unique:
            raise StoreError(f"bulk load: two {label} nodes have the same {prop}")
        return cls(keys, np.array([i for _, i in rows], dtype=np.uint64))

    @classmethod
    def empty(cls) -> NodeIds:
        return cls(pd.Index([], dtype=object), np.zeros(0, dtype=np.uint64))

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def plus(self, more: NodeIds, label: str) -> NodeIds:
        """These and `more` (other nodes of the label) together."""
        if not len(more):
            return self
        if not len(self):
            return more
        keys = self.keys.append(more.keys)
        if not keys.is_unique:
            raise StoreError(f"bulk load: a new {label} node has the key of a stored one")
        return NodeIds(keys, np.concatenate([self.ids, more.ids]))

    def positions(self, keys: Sequence[Any]) -> np.ndarray:
        """For each key, its position here (-1 where there is no such node)."""
        return np.asarray(self.keys.get_indexer(pd.Index(list(keys), dtype=object)))
