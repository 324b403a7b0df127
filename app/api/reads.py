"""The API's store reads: one named query per call, for many customers at once (loaders batch).

Synchronous like the store; async callers go through a worker thread (see loaders.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.accounts import attributes_of
from app.api.records import (
    AccountHolding,
    AddressRecord,
    CustomerProfile,
    CustomerRecord,
    DeviceUse,
    EmailRecord,
    Identifiers,
    InteractionRecord,
    MatchRecord,
    Page,
    PhoneRecord,
    ProfileRecord,
)
from app.households.marketing import HouseholdHit, hit_from_row
from app.privacy.consent import consent_by_subject
from app.store import GraphStore

IdentifierKind = Literal["email", "phone", "deviceId", "identifier"]
_BY_IDENTIFIER: dict[IdentifierKind, str] = {
    "email": "api_customers_by_email",
    "phone": "api_customers_by_phone",
    "deviceId": "api_customers_by_device",
    "identifier": "api_customers_by_identifier",  # a declared one, by its Identifier key
}


def customers(store: GraphStore, ids: Sequence[str]) -> dict[str, CustomerRecord]:
    rows = store.read("api_customers", ids=list(ids))
    found = (CustomerRecord.from_props(r["customer"]) for r in rows)
    return {c.id: c for c in found}


def identifiers(store: GraphStore, ids: Sequence[str]) -> dict[str, Identifiers]:
    return {
        row["customerId"]: _identifiers(row)
        for row in store.read("api_customer_identifiers", ids=list(ids))
    }


def _identifiers(row: Mapping[str, Any]) -> Identifiers:
    return Identifiers(
        emails=[EmailRecord(e) for e in sorted(set(row["emails"] or []))],
        phones=[PhoneRecord(p) for p in sorted(set(row["phones"] or []))],
        addresses=sorted(
            (AddressRecord.from_props(a) for a in row["addresses"] or []),
            key=lambda a: a.address_id,
        ),
    )


def accounts(store: GraphStore, ids: Sequence[str]) -> dict[str, list[AccountHolding]]:
    out: defaultdict[str, list[AccountHolding]] = defaultdict(list)
    for row in store.read("api_customer_accounts", ids=list(ids)):
        out[row["customerId"]].append(
            AccountHolding(str(row["accountId"]), row["role"], attributes_of(row["attributes"]))
        )
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


def profiles(store: GraphStore, ids: Sequence[str]) -> dict[str, ProfileRecord]:
    found = (
        ProfileRecord.from_props(r["profile"]) for r in store.read("api_profiles", ids=list(ids))
    )
    return {p.id: p for p in found}


def profile_props(store: GraphStore, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every property of these profiles (Profile.metrics picks its dna_ ones)."""
    rows = store.read("metrics_profile_props", ids=list(ids))
    return {str(r["profileId"]): dict(r["props"] or {}) for r in rows}


def customer_profiles(store: GraphStore, ids: Sequence[str]) -> dict[str, CustomerProfile]:
    return {
        row["customerId"]: _customer_profile(row)
        for row in store.read("api_customer_profiles", ids=list(ids))
    }


def _customer_profile(row: dict[str, Any]) -> CustomerProfile:
    confidence = row["confidence"]
    return CustomerProfile(
        ProfileRecord.from_props(row["profile"]),
        float(confidence) if isinstance(confidence, int | float) else None,
    )


def customer_with_profile(
    store: GraphStore, customer_id: str
) -> tuple[CustomerRecord, CustomerProfile | None] | None:
    """One customer and its profile (None: not resolved yet) in one read; None: no such
    customer. The same records as customers() and customer_profiles() give."""
    row = store.read_one("api_customer_with_profile", id=customer_id)
    if row is None:
        return None
    profile = _customer_profile(row) if row["profile"] is not None else None
    return CustomerRecord.from_props(row["customer"]), profile


@dataclass(frozen=True)
class Customer360:
    """What api_customer_360 reads: each part as the read of its own gives it."""

    customer: CustomerRecord
    profile: CustomerProfile | None  # customer_profiles; None: not resolved yet
    identifiers: Identifiers  # identifiers
    household: HouseholdHit | None  # households_of_profiles; None: no profile, or in none
    members: list[dict[str, Any]]  # household_members of that household


def customer_360(store: GraphStore, customer_id: str) -> Customer360 | None:
    """One customer with its identifiers, its profile, the profile's household and the
    household's members, in one read; None: no such customer."""
    rows = store.read("api_customer_360", id=customer_id)
    if not rows:
        return None
    row = rows[0]  # more than one: several current households or decision-makers
    profile = _customer_profile(row) if row["profile"] is not None else None
    household = None
    members: list[dict[str, Any]] = []
    if row["household"] is not None:
        dm = row["decisionMaker"]
        consent = None
        if dm is not None:
            dm_id = str(dm["profileId"])
            consent = consent_by_subject(row["decisionMakerConsent"] or [], [dm_id])[dm_id]
        household = hit_from_row(row, consent)
        members = _in_order(row["members"] or [])
    return Customer360(
        CustomerRecord.from_props(row["customer"]), profile, _identifiers(row), household, members
    )


def household_members(store: GraphStore, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every membership of these households, current and ended, each with the member's whole
    profile."""
    out: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.read("api_household_members", ids=list(ids)):
        out[str(row["householdId"])].append(row)
    return {k: _in_order(v) for k, v in out.items()}


def _in_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (str(r["membership"].get("status")), str(r["profileId"])))


def profile_members(store: GraphStore, ids: Sequence[str]) -> dict[str, list[str]]:
    out: defaultdict[str, list[str]] = defaultdict(list)
    for row in store.read("api_profile_members", ids=list(ids)):
        out[row["profileId"]].append(str(row["customerId"]))
    return {k: sorted(v) for k, v in out.items()}


def match_key(match: MatchRecord) -> tuple[float, str]:
    """The keyset of Customer.matches: the probability (0 when the model never scored the
    pair), then the other record's id. Sorted by probability descending, id ascending."""
    return (0.0 if match.probability is None else match.probability, match.other or "")


def matches(
    store: GraphStore,
    ids: Sequence[str],
    min_probability: float,
    size: int,
    after: tuple[float, str] | None,
) -> dict[str, Page[MatchRecord]]:
    """A page of at most `size` MATCHES edges per customer, most probable first."""
    after_p, after_id = after if after else (None, None)
    rows = store.read(
        "api_customer_matches",
        ids=list(ids),
        min=min_probability,
        limit=size + 1,
        afterP=after_p,
        afterId=after_id,
    )
    per: defaultdict[str, list[MatchRecord]] = defaultdict(list)
    for row in rows:
        per[row["customerId"]].append(
            MatchRecord.from_props(str(row["a"]), str(row["b"]), row["match"], str(row["other"]))
        )
    pages: dict[str, Page[MatchRecord]] = {}
    for cid in ids:
        items = sorted(per.get(cid, []), key=lambda m: (-match_key(m)[0], match_key(m)[1]))
        pages[cid] = Page(items[:size], has_next=len(items) > size)
    return pages


def match(store: GraphStore, a: str, b: str) -> MatchRecord | None:
    """The MATCHES edge between two records, or None."""
    row = store.read_one("api_match", a=a, b=b)
    if row is None:
        return None
    return MatchRecord.from_props(str(row["a"]), str(row["b"]), row["match"])


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
