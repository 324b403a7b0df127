"""GraphQL for households: a household by id, Profile.household, and the marketing query
(households filtered by composition and Group DNA, paged, with the decision-maker's contact
only where consent allows). The CSV export of the same query is `export_households`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import graphene
from graphene import relay
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app.access import policy
from app.access.masking import mask
from app.access.roles import Identity
from app.api.auth import forbidden, identity_of
from app.api.errors import BadUserInput
from app.api.inputs import decode_cursor, encode_cursor, page_size
from app.api.loaders import request_context
from app.api.paging import connection
from app.api.records import ProfileRecord
from app.audit import READ_PII
from app.audit import record as audit
from app.errors import InputError
from app.households.dna import METRICS
from app.households.marketing import (
    CSV_COLUMNS,
    HouseholdFilter,
    HouseholdHit,
    MetricCondition,
    count,
    csv_row,
    households_by_id,
    search,
    search_all,
)
from app.metrics.storage import PREFIX, Stored
from app.store import GraphStore

_PROFILE = "app.api.profiles.Profile"
HOUSEHOLDS_PAGE = 20
_CURSOR = "household"


class GroupMetric(graphene.ObjectType):
    class Meta:
        description = "One Group DNA metric with its recent values (oldest first) and trend."

    name = graphene.String(required=True)
    value = graphene.Float()
    history = graphene.List(graphene.NonNull(graphene.Float), required=True)
    trend = graphene.Float(description="Least-squares slope of the history, per day.")
    trend_pct = graphene.Float(description="Percent change from the first to the last value.")


class Contact(graphene.ObjectType):
    class Meta:
        description = "How to reach a household's decision-maker (only with their consent)."

    profile_id = graphene.ID(required=True)
    first_name = graphene.String()
    last_name = graphene.String()
    email = graphene.String()
    phone = graphene.String()
    street = graphene.String()
    city = graphene.String()
    postcode = graphene.String()


class Membership(graphene.ObjectType):
    class Meta:
        description = "A profile's membership of a household, current or ended (history)."

    profile = graphene.Field(_PROFILE)
    profile_id = graphene.ID(required=True)
    status = graphene.String(description="current or ended")
    role = graphene.String(description="decision_maker or member (for an ended one: then)")
    reason = graphene.String(description="Why this role (e.g. owner of shared account A1).")
    evidence = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description='What put the profile here: "kind:value" (address, account, device...).',
    )
    confidence = graphene.Float()
    since = graphene.String()
    until = graphene.String()
    end_reason = graphene.String()

    @staticmethod
    async def resolve_profile(parent: dict[str, Any], info: graphene.ResolveInfo) -> Any:
        return await request_context(info).loaders.profiles.load(parent["profile_id"])


def _prop(key: str) -> Any:
    """A resolver reading one stored property of the household (null when it has none)."""

    def resolve(parent: HouseholdHit, info: graphene.ResolveInfo) -> Any:
        return parent.props.get(key)

    return resolve


class Household(graphene.ObjectType):
    class Meta:
        description = "Profiles living or buying together, with Group DNA and roles."

    # id and decisionMakerId are the HouseholdHit's attributes of that name (graphene's
    # default resolver); the stored properties are read with _prop.
    id = graphene.ID(required=True, description='householdId, "HH-" and 12 hex digits.')
    status = graphene.String(
        description="active, merged (see mergedInto) or dissolved.", resolver=_prop("status")
    )
    merged_into = graphene.ID(resolver=_prop("mergedInto"))
    size = graphene.Int(resolver=_prop("size"))
    address_id = graphene.String(resolver=_prop("addressId"))
    evidence_kinds = graphene.List(graphene.NonNull(graphene.String), required=True)
    services = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Data services seen on its accounts (e.g. mobile, broadband).",
    )
    metrics = graphene.List(graphene.NonNull(GroupMetric), required=True)
    metric = graphene.Float(name=graphene.String(required=True), description="One metric's value.")
    decision_maker_id = graphene.ID()
    decision_maker_contact = graphene.Field(
        Contact,
        description="Null unless the decision-maker's consent allows contact.",
        source="contact",
    )
    contact_withheld_reason = graphene.String(
        description="Why the contact is null.", source="withheld_reason"
    )
    members = graphene.List(
        graphene.NonNull(Membership),
        required=True,
        description="Current members, and with includeEnded the ended memberships too.",
        include_ended=graphene.Boolean(default_value=False),
    )
    created_at = graphene.String(resolver=_prop("createdAt"))
    updated_at = graphene.String(resolver=_prop("updatedAt"))

    @staticmethod
    def resolve_evidence_kinds(parent: HouseholdHit, info: graphene.ResolveInfo) -> list[str]:
        return list(parent.props.get("evidenceKinds") or [])

    @staticmethod
    def resolve_services(parent: HouseholdHit, info: graphene.ResolveInfo) -> list[str]:
        return list(parent.props.get("services") or [])

    @staticmethod
    def resolve_metrics(parent: HouseholdHit, info: graphene.ResolveInfo) -> list[GroupMetric]:
        out = []
        for name in METRICS:
            stored = Stored.of(name, parent.props)
            if stored.value is not None or stored.times:
                out.append(
                    GroupMetric(
                        name=name,
                        value=stored.value,
                        history=list(stored.values),
                        trend=stored.slope,
                        trend_pct=stored.pct,
                    )
                )
        return out

    @staticmethod
    def resolve_metric(parent: HouseholdHit, info: graphene.ResolveInfo, name: str) -> Any:
        if name not in METRICS:
            raise BadUserInput(
                f"unknown Group DNA metric {name!r}; use one of {', '.join(METRICS)}"
            )
        return parent.props.get(PREFIX + name)

    @staticmethod
    async def resolve_members(
        parent: HouseholdHit, info: graphene.ResolveInfo, include_ended: bool = False
    ) -> list[dict[str, Any]]:
        ctx = request_context(info)
        rows = await ctx.loaders.household_members.load(parent.id)
        out = []
        for r in rows:
            # Membership.profile finds the member's profile read here.
            ctx.loaders.profiles.prime(r["profileId"], ProfileRecord.from_props(r["profile"]))
            m = r["membership"]
            if m.get("status") != "current" and not include_ended:
                continue
            out.append(
                {
                    "profile_id": r["profileId"],
                    "status": m.get("status"),
                    "role": m.get("role") or m.get("endedRole"),
                    "reason": m.get("reason"),
                    "evidence": list(m.get("evidence") or []),
                    "confidence": m.get("confidence"),
                    "since": m.get("since"),
                    "until": m.get("until"),
                    "end_reason": m.get("endReason"),
                }
            )
        out.sort(
            key=lambda m: (m["status"] != "current", m["role"] != "decision_maker", m["profile_id"])
        )
        return out


class HouseholdConnection(relay.Connection):
    class Meta:
        node = Household
        strict_types = True

    total_count = graphene.Int(
        required=True, description="Every household the filter selects, over all pages."
    )

    @staticmethod
    async def resolve_total_count(parent: Any, info: graphene.ResolveInfo) -> int:
        store = request_context(info).store
        return await run_in_threadpool(count, store, parent.selected)


class MetricFilter(graphene.InputObjectType):
    name = graphene.String(required=True, description=f"One of: {', '.join(METRICS)}")
    gte = graphene.Float()
    lte = graphene.Float()
    top_share = graphene.Float(description="Only the top share by this metric: 0.1 = top decile.")


class HouseholdFilterInput(graphene.InputObjectType):
    min_members = graphene.Int()
    max_members = graphene.Int()
    metrics = graphene.List(graphene.NonNull(MetricFilter))
    lacks_subscription = graphene.String(description="A data service none of it uses.")
    has_subscription = graphene.String()
    contactable_only = graphene.Boolean(
        description="Only households whose decision-maker's consent allows contact."
    )


def _filter(raw: Any) -> HouseholdFilter:
    raw = raw or {}
    return HouseholdFilter(
        min_members=raw.get("min_members"),
        max_members=raw.get("max_members"),
        metrics=tuple(
            MetricCondition(m["name"], m.get("gte"), m.get("lte"), m.get("top_share"))
            for m in raw.get("metrics") or []
        ),
        lacks_subscription=raw.get("lacks_subscription"),
        has_subscription=raw.get("has_subscription"),
        contactable_only=bool(raw.get("contactable_only")),
    )


def household_field() -> graphene.Field:
    return graphene.Field(
        Household, id=graphene.ID(required=True), description="The household with this id."
    )


def households_field() -> graphene.Field:
    return graphene.Field(
        HouseholdConnection,
        filter=HouseholdFilterInput(),
        first=graphene.Int(default_value=HOUSEHOLDS_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Active households by composition and Group DNA, in id order; the "
        "decision-maker's contact only where consent allows.",
    )


async def household_by_id(info: graphene.ResolveInfo, id: str) -> HouseholdHit | None:
    store = request_context(info).store
    found = await run_in_threadpool(households_by_id, store, [id])
    return found.get(id)


async def households(
    info: graphene.ResolveInfo, filter: Any, first: int | None, after: str | None
) -> HouseholdConnection:
    store = request_context(info).store
    size = page_size(first, HOUSEHOLDS_PAGE)
    after_id = decode_cursor(after, _CURSOR, (str,))[0] if after else None
    try:
        found = await run_in_threadpool(search, store, _filter(filter), size, after_id)
    except InputError as exc:
        raise BadUserInput(str(exc)) from exc
    cursors = [encode_cursor(_CURSOR, h.id) for h in found.hits]
    page = connection(HouseholdConnection, found.hits, cursors, after, found.has_next)
    page.selected = _filter(filter)  # counted only when totalCount is asked for
    if found.last_id is not None:
        # A contactable-only page may drop rows; the next page starts after the last one
        # looked at, so paging always moves on.
        page.page_info.end_cursor = encode_cursor(_CURSOR, found.last_id)
    return page


async def profile_household(profile_id: str, info: graphene.ResolveInfo) -> HouseholdHit | None:
    return await request_context(info).loaders.profile_households.load(profile_id)


# -- CSV export: GET /export/households.csv?minMembers=3&metric=totalSpend:top:0.1&... ------


def filter_from_query(params: Any) -> HouseholdFilter:
    """The export's filter from query parameters: minMembers, maxMembers, lacksSubscription,
    hasSubscription, contactableOnly=true, and metric=<name>:<gte|lte|top>:<number>
    (repeatable)."""

    def integer(name: str) -> int | None:
        raw = params.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise InputError(f"{name}={raw!r} is not a whole number") from None

    conditions: dict[str, dict[str, float]] = {}
    for item in params.getlist("metric"):
        name, _, rest = item.partition(":")
        op, _, number = rest.partition(":")
        if op not in ("gte", "lte", "top"):
            raise InputError(f"metric={item!r}: use <name>:gte|lte|top:<number>")
        try:
            conditions.setdefault(name, {})[op] = float(number)
        except ValueError:
            raise InputError(f"metric={item!r}: {number!r} is not a number") from None
    return HouseholdFilter(
        min_members=integer("minMembers"),
        max_members=integer("maxMembers"),
        metrics=tuple(
            MetricCondition(n, c.get("gte"), c.get("lte"), c.get("top"))
            for n, c in conditions.items()
        ),
        lacks_subscription=params.get("lacksSubscription") or None,
        has_subscription=params.get("hasSubscription") or None,
        contactable_only=params.get("contactableOnly", "").lower() in ("1", "true", "yes"),
    )


# The export's columns that hold personal data, by kind (masked without read:pii).
_CSV_PII = {
    "addressId": policy.ADDRESS,
    "firstName": policy.NAME,
    "lastName": policy.NAME,
    "email": policy.EMAIL,
    "phone": policy.PHONE,
    "street": policy.ADDRESS,
    "postcode": policy.POSTCODE,
}
_CSV_MASKS = [(CSV_COLUMNS.index(c), kind) for c, kind in _CSV_PII.items()]


def _csv_lines(store: GraphStore, flt: HouseholdFilter, identity: Identity) -> Iterator[str]:
    """The rows, 500 at a time. For an identity with read:pii, each batch's unmasked contacts
    are in the audit trail before the batch is sent; for others they are masked."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    read: list[str] = []

    def batch() -> str:
        if read:
            after = {"fields": sorted(_CSV_PII), "profiles": read, "export": "households.csv"}
            audit(store, identity.actor, READ_PII, "", None, after, [], list(read))
            read.clear()
        out = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return out

    for n, hit in enumerate(search_all(store, flt), start=1):
        row = csv_row(hit)
        if not identity.pii:
            for i, kind in _CSV_MASKS:
                row[i] = mask(kind, row[i]) if row[i] else row[i]
        elif hit.contact is not None:
            read.append(hit.contact.profile_id)
        writer.writerow(row)
        if n % 500 == 0:
            yield batch()
    yield batch()


async def export_households(request: Request) -> Response:
    """The marketing query as CSV for campaign tools: one row per household, the contact
    columns empty (and withheldReason set) where consent does not allow, masked for roles
    without PII access."""
    identity = identity_of(request)
    if not policy.allowed(identity, policy.ROUTE_CAPABILITY["/export/households.csv"]):
        return forbidden(identity, "the household export")
    store: GraphStore = request.app.state.store
    try:
        flt = filter_from_query(request.query_params)
        # Check the filter before the response starts (a bad metric name is a 400, not a
        # broken download).
        await run_in_threadpool(search, store, flt, 1)
    except InputError as exc:
        return Response(f"{exc}\n", status_code=400, media_type="text/plain")
    return StreamingResponse(
        iterate_in_threadpool(_csv_lines(store, flt, identity)),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="households.csv"'},
    )


class HouseholdQuery(graphene.ObjectType):
    """The household fields of the root Query (schema.py mixes this in)."""

    household = household_field()
    households = households_field()

    @staticmethod
    async def resolve_household(
        root: object, info: graphene.ResolveInfo, id: str
    ) -> HouseholdHit | None:
        return await household_by_id(info, id)

    @staticmethod
    async def resolve_households(
        root: object,
        info: graphene.ResolveInfo,
        filter: Any = None,
        first: int | None = HOUSEHOLDS_PAGE,
        after: str | None = None,
    ) -> HouseholdConnection:
        return await households(info, filter, first, after)
