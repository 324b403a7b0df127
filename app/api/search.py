"""GraphQL for the pages' reads: `searchProfiles` (app/search.py) and the Profile 360 fields
(app/profile360.py): identifiers of all its records, one timeline, open alerts, household
role. Types only translate; profiles.py mounts the Profile fields, schema.py the query."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from starlette.concurrency import run_in_threadpool

from app import profile360
from app.api.errors import BadUserInput
from app.api.inputs import decode_cursor, encode_cursor, page_size
from app.api.loaders import request_context
from app.api.paging import connection
from app.api.records import ProfileRecord
from app.errors import InputError
from app.search import Hit, search_profiles

SEARCH_PAGE = 10
TIMELINE_PAGE = 20
_SEARCH_CURSOR = "search"
_TIMELINE_CURSOR = "timeline"


class ProfileHit(graphene.ObjectType):
    class Meta:
        description = "A profile found by searchProfiles, with why and how well it matched."

    profile = graphene.Field("app.api.profiles.Profile", required=True)
    score = graphene.Float(
        required=True,
        description="1 for an identifier or exact name; 0.95 nickname, 0.9 same sound, "
        "less for a typo.",
    )
    matched_on = graphene.String(
        required=True, description="name, e-mail, phone, account, device, record id..."
    )

    @staticmethod
    async def resolve_profile(parent: Hit, info: graphene.ResolveInfo) -> Any:
        return await request_context(info).loaders.profiles.load(parent.profile_id)


class ProfileHitConnection(relay.Connection):
    class Meta:
        node = ProfileHit
        strict_types = True

    total_count = graphene.Int(required=True, description="Every hit, over all pages.")


def search_field() -> graphene.Field:
    return graphene.Field(
        ProfileHitConnection,
        text=graphene.String(
            required=True,
            description="A name (typos and nicknames allowed), e-mail, phone, account, device, "
            "identifier, record id or profile id.",
        ),
        first=graphene.Int(default_value=SEARCH_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Live profiles for one search box, best first, with the total.",
    )


async def search(
    info: graphene.ResolveInfo, text: str, first: int | None, after: str | None
) -> ProfileHitConnection:
    ctx = request_context(info)
    size = page_size(first, SEARCH_PAGE)
    offset = int(decode_cursor(after, _SEARCH_CURSOR, (int,))[0]) + 1 if after else 0
    try:
        found = await run_in_threadpool(
            search_profiles, ctx.store, text, ctx.settings.default_country, size + 1, offset
        )
    except InputError as exc:
        raise BadUserInput(str(exc)) from None
    hits = found.hits[:size]
    cursors = [encode_cursor(_SEARCH_CURSOR, offset + i) for i in range(len(hits))]
    out = connection(ProfileHitConnection, hits, cursors, after, len(found.hits) > size)
    out.total_count = found.total
    return out


class TimelineEntry(graphene.ObjectType):
    class Meta:
        description = "One interaction on a profile's timeline, with the record it came from."

    id = graphene.ID(required=True, description='"<source>:<eventId>"')
    customer_id = graphene.ID(required=True, description="The record that performed it.")
    source = graphene.String()
    type = graphene.String()
    channel = graphene.String()
    occurred_at = graphene.String(description="ISO 8601 date-time, UTC.")
    value = graphene.Float()


class TimelineEntryConnection(relay.Connection):
    class Meta:
        node = TimelineEntry
        strict_types = True

    total_count = graphene.Int(required=True, description="Every entry the filters select.")


class HouseholdRole(graphene.ObjectType):
    class Meta:
        description = "The household a profile belongs to now, and its role there."

    household = graphene.Field("app.api.households.Household")
    role = graphene.String(description="decision_maker or member")
    reason = graphene.String(description="Why this role.")

    @staticmethod
    async def resolve_household(parent: profile360.HouseholdRole, info: Any) -> Any:
        from app.api.households import household_by_id  # households.py imports profiles.py

        return await household_by_id(info, parent.household_id)


def timeline_field() -> graphene.Field:
    return graphene.Field(
        TimelineEntryConnection,
        required=True,
        types=graphene.List(graphene.NonNull(graphene.String), description="e.g. purchase"),
        channels=graphene.List(graphene.NonNull(graphene.String), description="e.g. web"),
        since=graphene.String(description="ISO 8601; from this time on."),
        until=graphene.String(description="ISO 8601; before this time."),
        first=graphene.Int(default_value=TIMELINE_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="The interactions of all its records (as customers lists them), newest "
        "first, with the total.",
    )


def identifiers_field(type_name: str, kind: str) -> graphene.List:
    """Profile.<kind>: one kind of identifier of all the profile's records (`identifiers`)."""

    async def resolve(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[Any]:
        return await identifiers(parent, info, kind)

    return graphene.List(graphene.NonNull(type_name), required=True, resolver=resolve)


async def member_ids(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[str]:
    """The profile's records: through the dial when it was turned, else as stored."""
    if parent.customer_ids is not None:
        return parent.customer_ids
    if parent.materialised_ids is not None:
        return parent.materialised_ids
    return await request_context(info).loaders.profile_members.load(parent.id)


async def timeline(
    parent: ProfileRecord,
    info: graphene.ResolveInfo,
    first: int | None,
    after: str | None,
    **f: Any,
) -> TimelineEntryConnection:
    ctx = request_context(info)
    try:
        where = profile360.TimelineFilter.of(
            f.get("types"), f.get("channels"), f.get("since"), f.get("until")
        )
    except InputError as exc:
        raise BadUserInput(str(exc)) from None
    size = page_size(first, TIMELINE_PAGE)
    key = decode_cursor(after, _TIMELINE_CURSOR, (int, str)) if after else None
    after_key = (int(key[0]), str(key[1])) if key else None
    ids = await member_ids(parent, info)
    page = await run_in_threadpool(profile360.timeline, ctx.store, ids, where, size, after_key)
    cursors = [encode_cursor(_TIMELINE_CURSOR, e.ts, e.id) for e in page.entries]
    out = connection(TimelineEntryConnection, page.entries, cursors, after, page.has_next)
    out.total_count = page.total
    return out


async def household_role(
    parent: ProfileRecord, info: graphene.ResolveInfo
) -> profile360.HouseholdRole | None:
    store = request_context(info).store
    return await run_in_threadpool(profile360.household_role, store, parent.id)


async def identifiers(parent: ProfileRecord, info: graphene.ResolveInfo, kind: str) -> list[Any]:
    """One kind of identifier (emails, phones, addresses, accounts, devices) of all the
    profile's records, each once."""
    loaders = request_context(info).loaders
    ids = await member_ids(parent, info)
    if kind in ("emails", "phones", "addresses"):
        found = await loaders.identifiers.load_many(ids)
        lists = [getattr(f, kind) for f in found if f is not None]
        key = {"emails": "email", "phones": "phone", "addresses": "address_id"}[kind]
        return profile360.merged(lists, lambda item: getattr(item, key))
    if kind == "accounts":
        held = await loaders.accounts.load_many(ids)
        return profile360.merged(held, lambda a: (a.account_id, a.role or ""))
    used = await loaders.devices.load_many(ids)
    return profile360.merged(used, lambda d: d.device_id)
