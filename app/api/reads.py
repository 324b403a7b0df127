"""The API's store reads: one named query per call, for many customers at once (loaders batch).

Synchronous like the store; async callers go through a worker thread (see loaders.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from app.api.records import (
    AccountHolding,
    AddressRecord,
    CustomerRecord,
    DeviceUse,
    EmailRecord,
    Identifiers,
    InteractionRecord,
    Page,
    PhoneRecord,
)
from app.store import GraphStore

IdentifierKind = Literal["email", "phone", "deviceId"]
_BY_IDENTIFIER: dict[IdentifierKind, str] = {
    "email": "api_customers_by_email",
    "phone": "api_customers_by_phone",
    "deviceId": "api_customers_by_device",
}


def customers(store: GraphStore, ids: Sequence[str]) -> dict[str, CustomerRecord]:
    rows = store.read("api_customers", ids=list(ids))
    found = (CustomerRecord.from_props(r["customer"]) for r in rows)
    return {c.id: c for c in found}


def identifiers(store: GraphStore, ids: Sequence[str]) -> dict[str, Identifiers]:
    out: dict[str, Identifiers] = {}
    for row in store.read("api_customer_identifiers", ids=list(ids)):
        out[row["customerId"]] = Identifiers(
            emails=[EmailRecord(e) for e in sorted(set(row["emails"] or []))],
            phones=[PhoneRecord(p) for p in sorted(set(row["phones"] or []))],
            addresses=sorted(
                (AddressRecord.from_props(a) for a in row["addresses"] or []),
                key=lambda a: a.address_id,
            ),
        )
    return out


def accounts(store: GraphStore, ids: Sequence[str]) -> dict[str, list[AccountHolding]]:
    out: defaultdict[str, list[AccountHolding]] = defaultdict(list)
    for row in store.read("api_customer_accounts", ids=list(ids)):
        out[row["customerId"]].append(AccountHolding(str(row["accountId"]), row["role"]))
    return {k: sorted(v, key=lambda a: a.account_id) for k, v in out.items()}


def devices(store: GraphStore, ids: Sequence[str]) -> dict[str, list[DeviceUse]]:
    out: defaultdict[str, list[DeviceUse]] = defaultdict(list)
    for row in store.read("api_customer_devices", ids=list(ids)):
        use = DeviceUse(str(row["deviceId"]), _opt(row["firstSeen"]), _opt(row["lastSeen"]))
        out[row["customerId"]].append(use)
    return {k: sorted(v, key=lambda d: d.device_id) for k, v in out.items()}


def interactions(
    store: GraphStore, ids: Sequence[str], size: int, after: tuple[int, str] | None
) -> dict[str, Page[InteractionRecord]]:
    """A page of at most `size` interactions per customer, newest first, after the key."""
    after_ts, after_id = after if after else (None, None)
    rows = store.read(
        "api_customer_interactions",
        ids=list(ids),
        limit=size + 1,
        afterTs=after_ts,
        afterId=after_id,
    )
    per: defaultdict[str, list[InteractionRecord]] = defaultdict(list)
    for row in rows:
        per[row["customerId"]].append(InteractionRecord.from_row(row))
    pages: dict[str, Page[InteractionRecord]] = {}
    for cid in ids:
        items = sorted(per.get(cid, []), key=lambda i: (i.ts, i.id), reverse=True)
        pages[cid] = Page(items[:size], has_next=len(items) > size)
    return pages


def customers_by_identifier(
    store: GraphStore, kind: IdentifierKind, value: str, size: int, after: str | None
) -> Page[CustomerRecord]:
    """Customers linked to one normalised identifier, by customerId, after the key."""
    rows = store.read(_BY_IDENTIFIER[kind], value=value, limit=size + 1, after=after)
    found = sorted((CustomerRecord.from_props(r["customer"]) for r in rows), key=lambda c: c.id)
    return Page(found[:size], has_next=len(found) > size)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
