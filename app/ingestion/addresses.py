"""Shared Address nodes get their properties by a stated rule, not from whichever record
wrote last: the golden-record survivorship for addresses (app/survivorship.py: the most
recently updated record first, then the most trusted source, then the smaller customerId),
each of street, city, postcode and country from the first record in that order that has it.
Loading again, in another order, or after a crash therefore gives the same Address nodes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.store import GraphStore
from app.survivorship import SURVIVORSHIP, ranked

PROPS = ("street", "city", "postcode", "country")


def address_props(
    members: Sequence[Mapping[str, Any]], trust_order: Sequence[str]
) -> dict[str, Any]:
    """An address's properties from the records living there (pure)."""
    by_id = sorted(members, key=lambda m: str(m.get("customerId")))
    order = ranked(by_id, SURVIVORSHIP["address"], trust_order, "customerId")
    return {p: next((m[p] for m in order if m.get(p) is not None), None) for p in PROPS}


def refresh_addresses(
    store: GraphStore, ids: Iterable[str], trust_order: Sequence[str], batch_size: int = 5000
) -> int:
    """Set each address's properties from its records; returns how many were set. An
    address no record lives at any more keeps what it has."""
    count = 0
    keys = sorted(set(ids))
    for start in range(0, len(keys), batch_size):
        batch = keys[start : start + batch_size]
        members: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in store.read("address_members", ids=batch):
            members[row["addressId"]].append(row)
        rows = [
            {"addressId": a, **address_props(m, trust_order)} for a, m in sorted(members.items())
        ]
        if rows:
            store.write("set_address_props", rows=rows)
        count += len(rows)
    return count
