"""Household-level marketing: households filtered by composition and Group DNA, paged, with
the decision-maker's contact only where their consent allows (app/privacy/consent.py). GraphQL
(app/api/households.py) and the CSV export both read through here, so the consent rule lives
in one place."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.errors import InputError
from app.households.dna import METRICS
from app.metrics.storage import PREFIX
from app.privacy.consent import NO_CONSENT, Consent, consent_of_profiles
from app.store import GraphStore
from app.store.base import safe_identifier

EMAIL, PHONE, SMS, POST = "email", "phone", "sms", "post"


@dataclass(frozen=True)
class MetricCondition:
    """One Group DNA comparison: gte / lte bounds, and/or top_share (0.1: the top decile)."""

    name: str
    gte: float | None = None
    lte: float | None = None
    top_share: float | None = None


@dataclass(frozen=True)
class HouseholdFilter:
    min_members: int | None = None
    max_members: int | None = None
    metrics: tuple[MetricCondition, ...] = ()
    lacks_subscription: str | None = None  # a data service (e.g. broadband) none of it uses
    has_subscription: str | None = None
    contactable_only: bool = False  # only households whose decision-maker may be contacted


@dataclass(frozen=True)
class Contact:
    profile_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    street: str | None
    city: str | None
    postcode: str | None


@dataclass
class HouseholdHit:
    props: dict[str, Any]
    decision_maker_id: str | None
    contact: Contact | None  # None unless consent allows
    withheld_reason: str | None  # why contact is None
    consent: bool | None = None
    dm_consent: Consent = NO_CONSENT  # the decision-maker's statements, for every channel
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def address_allowed(self) -> bool:
        """The household's address (its decision-maker's) may go to a marketing use."""
        return self.contact is not None and self.dm_consent.allows("marketing", (POST,))

    @property
    def id(self) -> str:
        return str(self.props["householdId"])


def hit_from_row(row: Mapping[str, Any], consent: Consent | None) -> HouseholdHit:
    """A household row with its decision-maker's consent (app/privacy/consent.py): the
    contact only where marketing is allowed, and of it only the channels allowed."""
    dm = row.get("decisionMaker") or None
    consent = consent or NO_CONSENT
    allowed, reason = consent.marketing()
    if dm is None:
        allowed, reason = None, "the household has no decision-maker"
    contact = None
    if dm is not None and allowed is True:
        post = consent.allows("marketing", (POST,))
        contact = Contact(
            profile_id=str(dm["profileId"]),
            first_name=dm.get("firstName"),
            last_name=dm.get("lastName"),
            email=dm.get("email") if consent.allows("marketing", (EMAIL,)) else None,
            phone=dm.get("phone") if consent.allows("marketing", (PHONE, SMS)) else None,
            street=dm.get("street") if post else None,
            city=dm.get("city") if post else None,
            postcode=dm.get("postcode") if post else None,
        )
    return HouseholdHit(
        props=dict(row["household"]),
        decision_maker_id=str(dm["profileId"]) if dm else None,
        contact=contact,
        withheld_reason=reason,
        consent=allowed,
        dm_consent=consent,
    )


def _hits(store: GraphStore, rows: Sequence[Mapping[str, Any]]) -> list[HouseholdHit]:
    """Rows decorated with their decision-makers' consent, read live (one read)."""
    dms = sorted({str(r["decisionMaker"]["profileId"]) for r in rows if r.get("decisionMaker")})
    consents = consent_of_profiles(store, dms) if dms else {}
    return [
        hit_from_row(r, consents.get(str((r.get("decisionMaker") or {}).get("profileId"))))
        for r in rows
    ]


def metric_property(name: str) -> str:
    if name not in METRICS:
        raise InputError(f"unknown Group DNA metric {name!r}; use one of {', '.join(METRICS)}")
    return PREFIX + safe_identifier(name)


def _conditions(store: GraphStore, flt: HouseholdFilter) -> list[dict[str, Any]]:
    out = []
    for m in flt.metrics:
        prop = metric_property(m.name)
        gte = m.gte
        if m.top_share is not None:
            if not 0 < m.top_share <= 1:
                raise InputError(
                    f"metric {m.name}: topShare must be in (0, 1], e.g. 0.1 for the top decile"
                )
            row = store.read_one(
                "household_metric_percentile", property=prop, percentile=1 - m.top_share
            )
            cut = row["value"] if row else None
            if cut is not None:
                gte = cut if gte is None else max(gte, cut)
        out.append({"property": prop, "gte": gte, "lte": m.lte})
    return out


@dataclass
class HouseholdPage:
    hits: list[HouseholdHit]
    has_next: bool
    last_id: str | None  # the last household looked at (the next page starts after it)


def search(
    store: GraphStore, flt: HouseholdFilter, size: int, after: str | None = None
) -> HouseholdPage:
    """One page of households (size rows) after the household id `after`."""
    for name, value in (("minMembers", flt.min_members), ("maxMembers", flt.max_members)):
        if value is not None and value < 1:
            raise InputError(f"{name} must be 1 or more, not {value}")
    rows = store.read(
        "household_search_contactable" if flt.contactable_only else "household_search",
        after=after,
        minMembers=flt.min_members,
        maxMembers=flt.max_members,
        lacks=flt.lacks_subscription,
        has=flt.has_subscription,
        metrics=_conditions(store, flt),
        limit=size + 1,
    )
    hits = _hits(store, rows[:size])
    last = hits[-1].id if hits else after
    if flt.contactable_only:
        # Filtered on the stored golden consent; a refusal loaded since withholds the
        # contact (checked live) and drops the row, so a page may come back short.
        hits = [h for h in hits if h.contact is not None]
    return HouseholdPage(hits, len(rows) > size, last)


def count(store: GraphStore, flt: HouseholdFilter) -> int:
    """How many households `search` pages through in all (contactable ones on the stored
    golden consent: a refusal loaded since the last households run still counts here)."""
    row = store.read_one(
        "household_count",
        minMembers=flt.min_members,
        maxMembers=flt.max_members,
        lacks=flt.lacks_subscription,
        has=flt.has_subscription,
        metrics=_conditions(store, flt),
        contactable=flt.contactable_only,
    )
    return int(row["n"]) if row else 0


def search_all(store: GraphStore, flt: HouseholdFilter, page: int = 1000) -> Iterator[HouseholdHit]:
    """Every matching household, page by page (the CSV export)."""
    after: str | None = None
    while True:
        found = search(store, flt, page, after)
        yield from found.hits
        if not found.has_next:
            return
        after = found.last_id


def households_by_id(store: GraphStore, ids: Sequence[str]) -> dict[str, HouseholdHit]:
    return {h.id: h for h in _hits(store, store.read("household_by_ids", ids=list(ids)))}


def households_of_profiles(store: GraphStore, ids: Sequence[str]) -> dict[str, HouseholdHit]:
    """Each profile's current household, as households_by_id gives it (absent: in none)."""
    rows = store.read("household_by_profiles", ids=list(ids))
    out: dict[str, HouseholdHit] = {}
    for row, hit in zip(rows, _hits(store, rows), strict=True):
        out.setdefault(str(row["profileId"]), hit)
    return out


CSV_COLUMNS: tuple[str, ...] = (
    "householdId",
    "size",
    "addressId",
    "services",
    *(PREFIX + m for m in METRICS),
    "decisionMakerId",
    "contactable",
    "withheldReason",
    "firstName",
    "lastName",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
)


def csv_row(hit: HouseholdHit) -> list[str]:
    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, list):
            return ";".join(map(str, v))
        return str(v)

    c = hit.contact
    values: list[Any] = [hit.props.get(k) for k in ("householdId", "size", "addressId", "services")]
    if not hit.address_allowed:  # the address is the decision-maker's: no post consent, no address
        values[2] = None
    values += [hit.props.get(PREFIX + m) for m in METRICS]
    values += [hit.decision_maker_id, "yes" if c else "no", hit.withheld_reason]
    values += [
        getattr(c, f) if c else None
        for f in ("first_name", "last_name", "email", "phone", "street", "city", "postcode")
    ]
    return [text(v) for v in values]
