"""GraphQL types for resolution: profiles (resolved people, with the confidence dial), the
MATCHES edges between records with their explanations, and the stewards' review queue."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from starlette.concurrency import run_in_threadpool

from app.api import reads, search
from app.api.errors import BadUserInput
from app.api.inputs import decode_cursor, encode_cursor, page_size, probability
from app.api.loaders import request_context
from app.api.paging import connection
from app.api.records import (
    CustomerRecord,
    FieldWeightRecord,
    MatchRecord,
    ProfileRecord,
)
from app.errors import InputError
from app.resolution import review
from app.resolution.dial import profile_view

# Customer lives in schema.py, which imports this module; graphene resolves the name late.
CUSTOMER_TYPE = "app.api.schema.Customer"

MATCHES_PAGE = 20
REVIEW_PAGE = 20
MATCH_CURSOR = "match"
REVIEW_CURSOR = "review"


class Profile(graphene.ObjectType):
    class Meta:
        description = (
            "A resolved person: the customer records resolution put together, with golden "
            "attributes chosen from them by survivorship rules."
        )

    id = graphene.ID(required=True, description='profileId, "PR-" and 12 hex digits.')
    status = graphene.String(description="active, or merged for a retired profile.")
    merged_into = graphene.ID(description="For a retired profile: the one that took it over.")
    requested_id = graphene.ID(
        description="The retired id that was asked for and led here; null otherwise."
    )
    first_name = graphene.String()
    last_name = graphene.String()
    date_of_birth = graphene.String(description="YYYY-MM-DD")
    email = graphene.String()
    phone = graphene.String()
    address_id = graphene.String()
    street = graphene.String()
    city = graphene.String()
    postcode = graphene.String()
    size = graphene.Int(description="Number of materialised member records.")
    sources = graphene.List(graphene.NonNull(graphene.String), required=True)
    sparse = graphene.Boolean(
        required=True, description="A lone record with too little to match on."
    )
    absorbed = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Profile ids a resolution run folded into this one.",
    )
    split_from = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Profile ids this one was split off from.",
    )
    created_at = graphene.String()
    updated_at = graphene.String()
    min_confidence = graphene.Float(description="The dial asked for; null for none.")
    applied_confidence = graphene.Float(
        description="The threshold the dial used: minConfidence, raised to the stored "
        "edges' floor when below it."
    )
    dial_capped = graphene.Boolean(
        required=True,
        description="The dial's component was bigger than the component cap: the view is "
        "bounded and may leave out records the batch clustering would join.",
    )
    customers = graphene.List(
        graphene.NonNull(CUSTOMER_TYPE),
        required=True,
        description=(
            "The member records, by id. With minConfidence: the records the same clustering "
            "puts with the profile's anchor record at that threshold."
        ),
    )
    materialised_customer_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="The members as stored (operational threshold), whatever the dial.",
    )
    household = graphene.Field(
        "app.api.households.Household",
        description="The household the profile belongs to now; null before households ran.",
    )

    @staticmethod
    async def resolve_household(parent: ProfileRecord, info: graphene.ResolveInfo) -> object:
        from app.api.households import profile_household  # households.py imports this module

        return await profile_household(parent.id, info)

    consent = graphene.List(
        graphene.NonNull("app.api.privacy.ConsentDecision"),
        required=True,
        description="What the person's consent allows, per purpose and channel.",
    )
    consent_statements = graphene.List(
        graphene.NonNull("app.api.privacy.ConsentStatement"),
        required=True,
        description="Everything the person said about consent, oldest first.",
    )

    @staticmethod
    async def resolve_consent(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[Any]:
        from app.api.privacy import consent_decisions  # privacy.py imports this module

        return await consent_decisions(parent.id, info)

    @staticmethod
    async def resolve_consent_statements(
        parent: ProfileRecord, info: graphene.ResolveInfo
    ) -> list[Any]:
        from app.api.privacy import consent_statements

        return await consent_statements(parent.id, info)

    metrics = graphene.List(
        graphene.NonNull("app.api.metrics.ProfileMetric"),
        required=True,
        description="Customer DNA: every running metric with its history and trend.",
    )

    @staticmethod
    async def resolve_metrics(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[Any]:
        from app.api.metrics import profile_metrics  # metrics.py imports this module

        return await profile_metrics(parent.id, info, parent.stored)

    edges = graphene.List(
        graphene.NonNull("app.api.profiles.ClusterEdge"),
        required=True,
        min_probability=graphene.Float(
            default_value=0.2, description="Leave out undecided edges below this probability."
        ),
        description="Whole-cluster review: every MATCHES edge of the member records (decided "
        "ones whatever their score): between members first (what holds the profile together), "
        "then to records outside (what nearly joined); by probability, highest first.",
    )

    @staticmethod
    async def resolve_edges(
        parent: ProfileRecord, info: graphene.ResolveInfo, min_probability: float = 0.2
    ) -> list[review.ClusterEdge]:
        low = probability("minProbability", min_probability, 0.2)
        store = request_context(info).store
        return await run_in_threadpool(review.profile_edges, store, parent.id, low)

    # The 360 view (app/api/search.py): everything of all its records, in one place.
    emails = search.identifiers_field("app.api.schema.Email", "emails")
    phones = search.identifiers_field("app.api.schema.Phone", "phones")
    addresses = search.identifiers_field("app.api.schema.Address", "addresses")
    accounts = search.identifiers_field("app.api.schema.AccountHolding", "accounts")
    devices = search.identifiers_field("app.api.schema.DeviceUse", "devices")
    timeline = search.timeline_field()
    open_alerts = graphene.List(
        graphene.NonNull("app.api.alerts.Alert"), required=True, description="Newest first."
    )
    household_role = graphene.Field(search.HouseholdRole, description="Null without one.")

    @staticmethod
    async def resolve_timeline(
        parent: ProfileRecord,
        info: graphene.ResolveInfo,
        first: int | None = search.TIMELINE_PAGE,
        after: str | None = None,
        **filters: Any,
    ) -> Any:
        return await search.timeline(parent, info, first, after, **filters)

    @staticmethod
    async def resolve_open_alerts(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[Any]:
        from app.api.alerts import open_alerts  # alerts.py imports this module

        return await open_alerts(parent.id, info)

    @staticmethod
    async def resolve_household_role(parent: ProfileRecord, info: graphene.ResolveInfo) -> Any:
        return await search.household_role(parent, info)

    @staticmethod
    async def _materialised(parent: ProfileRecord, info: graphene.ResolveInfo) -> list[str]:
        if parent.materialised_ids is not None:
            return parent.materialised_ids
        return await request_context(info).loaders.profile_members.load(parent.id)

    @staticmethod
    async def resolve_materialised_customer_ids(
        parent: ProfileRecord, info: graphene.ResolveInfo
    ) -> list[str]:
        return await Profile._materialised(parent, info)

    @staticmethod
    async def resolve_customers(
        parent: ProfileRecord, info: graphene.ResolveInfo
    ) -> list[CustomerRecord]:
        ids = parent.customer_ids
        if ids is None:
            ids = await Profile._materialised(parent, info)
        found = await request_context(info).loaders.customers.load_many(ids)
        return [c for c in found if c is not None]


class FieldWeight(graphene.ObjectType):
    class Meta:
        description = (
            "One compared field's push on the match's log-odds, measured from the field being "
            "missing (0): positive towards a match, negative against."
        )

    field = graphene.String(required=True, description="The model's name: lastName, address.")
    label = graphene.String(required=True, description="In words: surname, address.")
    level = graphene.String(
        required=True, description="How the two records compare: same, sounds alike, different."
    )
    weight = graphene.Float(required=True)


class Match(graphene.ObjectType):
    class Meta:
        description = (
            "A scored or decided pair of customer records (a MATCHES edge). `a` has the "
            "smaller customerId."
        )

    a = graphene.Field(CUSTOMER_TYPE)
    b = graphene.Field(CUSTOMER_TYPE)
    other = graphene.Field(
        CUSTOMER_TYPE,
        description="Under Customer.matches: the record on the other side. Elsewhere null.",
    )
    probability = graphene.Float(
        description="The model's probability; null when a steward paired records it never scored."
    )
    status = graphene.String(description="auto (undecided), confirmed or rejected.")
    method = graphene.String(description="model or steward.")
    model_version = graphene.String()
    updated_at = graphene.String(description="When the model last scored the pair.")
    explanation = graphene.List(
        graphene.NonNull(FieldWeight),
        required=True,
        description=(
            "Per compared field, its push on the log-odds, strongest first; fields one of the "
            "records lacks are left out (they push nothing). intercept plus the pushes equal "
            "logit exactly."
        ),
    )
    intercept = graphene.Float(description="The prior: the log-odds before any evidence.")
    logit = graphene.Float(description="The pair's log-odds: probability = 1 / (1 + e^-logit).")
    decided_by = graphene.String(description="The steward (signed-in identity) who decided.")
    decided_at = graphene.String()
    reason = graphene.String()

    @staticmethod
    async def resolve_a(parent: MatchRecord, info: graphene.ResolveInfo) -> CustomerRecord | None:
        return await request_context(info).loaders.customers.load(parent.a)

    @staticmethod
    async def resolve_b(parent: MatchRecord, info: graphene.ResolveInfo) -> CustomerRecord | None:
        return await request_context(info).loaders.customers.load(parent.b)

    @staticmethod
    async def resolve_other(
        parent: MatchRecord, info: graphene.ResolveInfo
    ) -> CustomerRecord | None:
        if parent.other is None:
            return None
        return await request_context(info).loaders.customers.load(parent.other)

    @staticmethod
    def resolve_explanation(
        parent: MatchRecord, info: graphene.ResolveInfo
    ) -> list[FieldWeightRecord]:
        return parent.explanation


class ClusterEdge(graphene.ObjectType):
    class Meta:
        description = "A MATCHES edge of a profile's records, seen from the profile."

    match = graphene.Field(Match, required=True)
    inside = graphene.Boolean(required=True, description="Both records are in the profile.")
    other_profile_id = graphene.ID(
        description="For an edge to a record outside: the profile that record is in."
    )

    @staticmethod
    def resolve_match(parent: review.ClusterEdge, info: graphene.ResolveInfo) -> MatchRecord:
        return MatchRecord.from_props(parent.a, parent.b, parent.props)

    @staticmethod
    def resolve_other_profile_id(
        parent: review.ClusterEdge, info: graphene.ResolveInfo
    ) -> str | None:
        return parent.other_profile


class MatchConnection(relay.Connection):
    class Meta:
        node = Match
        strict_types = True


# Fields and their resolvers, mounted by schema.py on Customer and Query.


def matches_field() -> graphene.Field:
    return graphene.Field(
        MatchConnection,
        min_probability=graphene.Float(
            default_value=0.0,
            description="Only pairs the model scored at least this (0 to 1); steward-made "
            "pairs it never scored count as 0.",
        ),
        first=graphene.Int(default_value=MATCHES_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="This record's MATCHES edges, most probable first, then by the other id.",
    )


async def customer_matches(
    customer_id: str,
    info: graphene.ResolveInfo,
    min_probability: float | None,
    first: int | None,
    after: str | None,
) -> MatchConnection:
    floor = probability("minProbability", min_probability, 0.0)
    size = page_size(first, MATCHES_PAGE)
    key = decode_cursor(after, MATCH_CURSOR, (float, str)) if after else None
    after_key = (float(key[0]), str(key[1])) if key else None
    page = await request_context(info).loaders.matches.load((customer_id, floor, size, after_key))
    cursors = [encode_cursor(MATCH_CURSOR, *reads.match_key(m)) for m in page.items]
    return connection(MatchConnection, page.items, cursors, after, page.has_next)


async def customer_profile(customer_id: str, info: graphene.ResolveInfo) -> ProfileRecord | None:
    ctx = request_context(info)
    found = await ctx.loaders.customer_profiles.load(customer_id)
    if found is None:
        return None
    ctx.loaders.profiles.prime(found.profile.id, found.profile)
    return found.profile


async def customer_profile_confidence(customer_id: str, info: graphene.ResolveInfo) -> float | None:
    found = await request_context(info).loaders.customer_profiles.load(customer_id)
    return None if found is None else found.confidence


async def profile_by_id(
    info: graphene.ResolveInfo, profile_id: str, min_confidence: float | None
) -> ProfileRecord | None:
    """The live profile for an id (following merges from a retired one), seen through the
    confidence dial when min_confidence is given."""
    ctx = request_context(info)
    view = await run_in_threadpool(
        profile_view, ctx.store, ctx.settings, profile_id, min_confidence
    )
    if view is None:
        return None
    record = await ctx.loaders.profiles.load(view.profile_id)
    return None if record is None else record.seen_through(view)


def profile_field() -> graphene.Field:
    return graphene.Field(
        Profile,
        id=graphene.ID(required=True),
        min_confidence=graphene.Float(
            description="The confidence dial (0 to 1): the members by the same clustering "
            "at this threshold instead of the operational one. Higher only removes records; "
            "below the stored edges' floor it is the floor."
        ),
        description="The profile with this id; a retired id answers with its successor "
        "(requestedId set). Null for an unknown id.",
    )


class ReviewConnection(relay.Connection):
    class Meta:
        node = Match
        strict_types = True

    total_count = graphene.Int(
        required=True, description="Every pair the filters select, over all pages."
    )


def review_queue_field() -> graphene.Field:
    return graphene.Field(
        ReviewConnection,
        min_probability=graphene.Float(description="Default IDGRAPH_REVIEW_MIN (0.2)."),
        max_probability=graphene.Float(description="Default IDGRAPH_REVIEW_MAX (0.8)."),
        decided=graphene.Boolean(
            default_value=False,
            description="false (default): undecided pairs; true: pairs a steward decided "
            "(to revisit); null: both.",
        ),
        sources=graphene.List(
            graphene.NonNull(graphene.String),
            description="Only pairs with a record from one of these sources.",
        ),
        min_cluster_size=graphene.Int(
            description="Only pairs whose larger profile (of the two records') has at least "
            "this many records."
        ),
        max_cluster_size=graphene.Int(description="... and at most this many."),
        first=graphene.Int(default_value=REVIEW_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Pairs for a steward to confirm or reject, most uncertain first (closest "
        "to 0.5; a pair the model never scored counts as 0), with the total. For the whole "
        "cluster around a pair, ask its records' `profile { edges }`.",
    )


async def review_queue(
    info: graphene.ResolveInfo,
    *,
    first: int | None,
    after: str | None,
    **filters: Any,
) -> ReviewConnection:
    ctx = request_context(info)
    try:
        where = review.ReviewFilter.of(
            ctx.settings,
            min_probability=filters.get("min_probability"),
            max_probability=filters.get("max_probability"),
            decided=filters.get("decided"),
            sources=filters.get("sources"),
            min_size=filters.get("min_cluster_size"),
            max_size=filters.get("max_cluster_size"),
        )
    except InputError as refused:
        raise BadUserInput(str(refused)) from None
    size = page_size(first, REVIEW_PAGE)
    key = decode_cursor(after, REVIEW_CURSOR, (float, str, str)) if after else None
    after_key = (float(key[0]), str(key[1]), str(key[2])) if key else None
    page = await run_in_threadpool(review.queue, ctx.store, where, size, after_key)
    items = [MatchRecord.from_props(str(r["a"]), str(r["b"]), r["props"]) for r in page.rows]
    # The stored probability, not the distance from 0.5: see review_queue.cypher.
    cursors = [encode_cursor(REVIEW_CURSOR, m.probability or 0.0, m.a, m.b) for m in items]
    out = connection(ReviewConnection, items, cursors, after, page.has_next)
    out.total_count = page.total
    return out
