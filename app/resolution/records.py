"""Customer records as a DataFrame for resolution, read from the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import pandas as pd

from app.ingestion.identifiers import compared_attributes, identifier_types
from app.resolution.columns import ATTRIBUTE_PREFIX, IDENTIFIER_PREFIX, declared
from app.resolution.fields import RECORD_FIELDS
from app.store import GraphStore
from app.store.base import safe_identifier
from app.store.reads import pages

# The key of every customer record the resolver compares (stubs known only from interactions
# are not).
RECORD_KEYS = "MATCH (c:Customer) WHERE c.stub IS NULL RETURN c.customerId AS customerId"


def records_query(identifier_types: Iterable[str], attributes: Iterable[str] = ()) -> str:
    """The records with the keys in $ids that the resolver compares: the fields it reads, one
    column per declared identifier type (`id_<type>`) and per compared attribute
    (`attr_<name>`), and the digest of the blocking keys
    stored for it (not the keys: reading a dozen bk_* values per record cost more than the
    rest of the record). Every column is a property stored as text, so the store may send
    them as plain texts (`read_texts`)."""
    names = [
        *RECORD_FIELDS,
        "blockHash",
        *sorted(IDENTIFIER_PREFIX + safe_identifier(t) for t in identifier_types),
        *sorted(ATTRIBUTE_PREFIX + safe_identifier(a) for a in attributes),
    ]
    columns = ", ".join(f"c.{n} AS {n}" for n in names)
    return (
        "UNWIND $ids AS id MATCH (c:Customer {customerId: id}) WHERE c.stub IS NULL "
        f"RETURN c.customerId AS customerId, {columns}"
    )


def columns_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Records as rows (a record's own properties, or rows with `identifiers` as [name,
    value] pairs: declared identifiers and attributes) as the columns `frame_of` takes."""
    data: dict[str, list[Any]] = {
        name: [row.get(name) for row in rows] for name in ("customerId", *RECORD_FIELDS)
    }
    for i, row in enumerate(rows):
        if "identifiers" in row:
            pairs = row["identifiers"] or ()
        else:  # a record's own properties
            pairs = [(k, v) for k, v in row.items() if declared(k)]
        for name, value in pairs:
            if name not in data:  # (not setdefault: its default would be built on every call)
                data[name] = [None] * len(rows)
            data[name][i] = value
    data["blockHash"] = [row.get("blockHash") for row in rows]
    return data


def frame_of(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Records as columns (records_query's, or columns_of rows) as a DataFrame indexed by
    customerId: the record fields, one `id_<type>` column per identifier some record holds,
    one `attr_<name>` column per compared attribute some record holds, and `blockHash` (the
    digest of the blocking keys stored for the record, app/resolution/blocking.py
    `key_digests`)."""
    n = len(columns.get("customerId", ()))
    data: dict[str, Sequence[Any]] = {
        name: columns.get(name) or [None] * n for name in ("customerId", *RECORD_FIELDS)
    }
    for name in sorted(k for k in columns if declared(k)):
        if any(v is not None for v in columns[name]):
            data[name] = columns[name]
    data["blockHash"] = columns.get("blockHash") or [None] * n
    return pd.DataFrame(data, columns=list(data)).set_index("customerId")


def frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """`frame_of` records given as rows."""
    return frame_of(columns_of(rows))


def load_records(store: GraphStore, page: int) -> pd.DataFrame:
    """One row per (non-stub) customer record, indexed by customerId, in customerId order.
    Read `page` records at a time (two reads at once), so that what the store holds to answer
    a read is bounded by the page, not by the graph: read whole, a million records held 1.2
    GB in the server until the answer was sent (docs/performance.md, "A batch reads in
    pages")."""
    keys = sorted(store.read_texts(RECORD_KEYS).get("customerId", []))
    text = records_query(identifier_types(store), compared_attributes(store))
    parts = store.in_parallel(
        [partial(store.read_texts, text, ids=ids) for ids in pages(keys, page)]
    )
    names = next((list(part) for part in parts if part), [])
    return frame_of({name: [v for part in parts for v in part.get(name, ())] for name in names})
