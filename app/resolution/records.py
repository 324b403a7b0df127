"""Customer records as a DataFrame for resolution, read from the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from app.resolution.fields import RECORD_FIELDS
from app.store import GraphStore


def frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows of resolution_records (or anything with the same columns) as a DataFrame
    indexed by customerId: the record fields, one `id_<type>` column per declared
    identifier (from `identifiers` pairs or `id_*` keys), and `blockHash` (the digest of the
    blocking keys stored for the record, app/resolution/blocking.py `key_digest`)."""
    data: dict[str, list[Any]] = {
        name: [row.get(name) for row in rows] for name in ("customerId", *RECORD_FIELDS)
    }
    ids: dict[str, list[Any]] = {}
    for i, row in enumerate(rows):
        if "identifiers" in row:  # as resolution_records reads them
            pairs = row["identifiers"] or ()
        else:  # a record's own properties
            pairs = [(k, v) for k, v in row.items() if k.startswith("id_") and v is not None]
        for name, value in pairs:
            if name not in ids:  # (not setdefault: its default would be built on every call)
                ids[name] = [None] * len(rows)
            ids[name][i] = value
    for name in sorted(ids):
        data[name] = ids[name]
    data["blockHash"] = [row.get("blockHash") for row in rows]
    base = pd.DataFrame(data, columns=list(data))
    return base.set_index("customerId")


def load_records(store: GraphStore) -> pd.DataFrame:
    """One row per (non-stub) customer record, indexed by customerId, in a stable order."""
    return frame(store.read("resolution_records"))


def identifier_types(store: GraphStore) -> dict[str, str]:
    """Declared identifier types -> how each compares (exact or typo)."""
    return {r["name"]: r["compare"] or "exact" for r in store.read("identifier_types")}
