"""Steward changes over GraphQL: confirm or reject a pair, merge profiles, split a record off.

Each names who makes it (the signed-in identity) and why; app.resolution.stewards does the work
and writes the audit event. Changes run one at a time per server (they read, then write),
in a worker thread since the store is synchronous."""

from __future__ import annotations

from collections.abc import Callable

import graphene
from starlette.concurrency import run_in_threadpool

from app import flows
from app.api import inputs, reads
from app.api.errors import BadUserInput, FailedPrecondition
from app.api.loaders import request_context
from app.api.profiles import CUSTOMER_TYPE, Match, Profile
from app.api.realtime_model import current_model
from app.api.records import CustomerRecord, MatchRecord, ProfileRecord
from app.resolution import stewards
from app.resolution.model import MatchModel
from app.settings import Settings
from app.store import GraphStore

MAX_MERGE = 50  # profiles in one merge; a steward merging more is better served by a re-run


class MatchDecisionPayload(graphene.ObjectType):
    class Meta:
        description = (
            "The pair's edge after the decision. Profiles follow at the next `idgraph "
            "resolve`, which keeps the decision as a hard constraint."
        )

    match = graphene.Field(Match, required=True)
    previous_status = graphene.String(
        description="The edge's status before: auto, confirmed, rejected; null if the model "
        "had not kept the pair."
    )


class MergeProfilesPayload(graphene.ObjectType):
    profile = graphene.Field(
        Profile, required=True, description="The surviving profile (the largest keeps its id)."
    )
    retired_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="The profiles now merged into it; asking for one answers with the survivor.",
    )


class SplitCustomerPayload(graphene.ObjectType):
    customer = graphene.Field(CUSTOMER_TYPE)
    profile = graphene.Field(
        Profile, required=True, description="The record's new profile of its own."
    )
    previous_profile = graphene.Field(Profile, description="The profile it left.")


def _model(settings: Settings) -> MatchModel | None:
    """The saved model, for scoring pairs a decision brings together; none is fine."""
    try:
        return current_model(settings.model_file)
    except FailedPrecondition:
        return None


def _decide(
    store: GraphStore,
    settings: Settings,
    a: str,
    b: str,
    status: stewards.Decision,
    who: str,
    why: str,
) -> tuple[MatchRecord, str | None]:
    done = flows.decide(store, settings, a, b, status, who, why, _model(settings))
    before = done.details.get("before")
    previous = before.get("status") if isinstance(before, dict) else None
    edge = reads.match(store, a, b)
    if edge is None:  # decide() has just written it
        raise RuntimeError(f"the MATCHES edge {a} - {b} is missing after a decision")
    return edge, None if previous is None else str(previous)


def _merge(
    store: GraphStore, settings: Settings, ids: list[str], who: str, why: str
) -> tuple[str, list[str]]:
    done = flows.merge(store, settings, ids, who, why, _model(settings))
    return str(done.details["kept"]), done.change.retired


def _split(
    store: GraphStore, settings: Settings, customer_id: str, who: str, why: str
) -> tuple[str, str | None]:
    done = flows.split(store, settings, [customer_id], who, why, _model(settings))
    return str(done.details["profile"]), str(done.details["previous"])


async def change[T](info: graphene.ResolveInfo, work: Callable[[str], T]) -> T:
    """Run work(actor) in a worker thread under the app's write lock, the actor being the
    signed-in identity; afterwards this request's loaders forget what they read, so the
    payload shows the graph as changed."""
    ctx = request_context(info)
    who = ctx.actor
    try:
        async with ctx.write_lock:
            return await run_in_threadpool(work, who)
    finally:
        # Also after a failure: a change that stops half-way may have written some of it.
        ctx.loaders.clear_all()


async def _profile(info: graphene.ResolveInfo, profile_id: str) -> ProfileRecord:
    record = await request_context(info).loaders.profiles.load(profile_id)
    if record is None:
        raise RuntimeError(f"profile {profile_id} is missing after a steward change")
    return record


def _decision_field(claim: str) -> graphene.Field:
    return graphene.Field(
        MatchDecisionPayload,
        a=graphene.ID(required=True, description="customerId of one record."),
        b=graphene.ID(required=True, description="customerId of the other (any order)."),
        reason=graphene.String(required=True),
        description=f"{claim} Sets the pair's edge (creating it if the model kept none), "
        "audits the decision and re-places the records' profiles at once; the next `idgraph "
        "train` learns from it.",
    )


class Mutation(graphene.ObjectType):
    confirm_match = _decision_field("The two records are the same person.")
    reject_match = _decision_field("The two records are different people.")
    merge_profiles = graphene.Field(
        MergeProfilesPayload,
        ids=graphene.List(graphene.NonNull(graphene.ID), required=True),
        reason=graphene.String(required=True),
        description="These profiles are one person: the largest keeps its id, the others "
        "point at it. Takes effect at once; re-runs keep it.",
    )
    split_customer = graphene.Field(
        SplitCustomerPayload,
        customer_id=graphene.ID(required=True),
        reason=graphene.String(required=True),
        description="Take one record out of its profile into a profile of its own; re-runs "
        "keep it apart.",
    )

    @staticmethod
    async def resolve_confirm_match(
        root: object, info: graphene.ResolveInfo, a: str, b: str, reason: str
    ) -> MatchDecisionPayload:
        return await _decision(info, a, b, "confirmed", reason)

    @staticmethod
    async def resolve_reject_match(
        root: object, info: graphene.ResolveInfo, a: str, b: str, reason: str
    ) -> MatchDecisionPayload:
        return await _decision(info, a, b, "rejected", reason)

    @staticmethod
    async def resolve_merge_profiles(
        root: object, info: graphene.ResolveInfo, ids: list[str], reason: str
    ) -> MergeProfilesPayload:
        why = _reason(info, reason)
        if len(ids) > MAX_MERGE:
            raise BadUserInput(f"merge at most {MAX_MERGE} profiles at once, not {len(ids)}")
        ctx = request_context(info)
        kept, retired = await change(
            info, lambda who: _merge(ctx.store, ctx.settings, list(ids), who, why)
        )
        return MergeProfilesPayload(profile=await _profile(info, kept), retired_ids=retired)

    @staticmethod
    async def resolve_split_customer(
        root: object, info: graphene.ResolveInfo, customer_id: str, reason: str
    ) -> SplitCustomerPayload:
        why = _reason(info, reason)
        ctx = request_context(info)
        new_id, old_id = await change(
            info, lambda who: _split(ctx.store, ctx.settings, customer_id, who, why)
        )
        customer: CustomerRecord | None = await ctx.loaders.customers.load(customer_id)
        previous = await ctx.loaders.profiles.load(old_id) if old_id else None
        return SplitCustomerPayload(
            customer=customer, profile=await _profile(info, new_id), previous_profile=previous
        )


def _reason(info: graphene.ResolveInfo, raw: str) -> str:
    return inputs.reason(raw)


async def _decision(
    info: graphene.ResolveInfo, a: str, b: str, status: stewards.Decision, raw_reason: str
) -> MatchDecisionPayload:
    why = _reason(info, raw_reason)
    ctx = request_context(info)
    edge, previous = await change(
        info, lambda who: _decide(ctx.store, ctx.settings, a, b, status, who, why)
    )
    return MatchDecisionPayload(match=edge, previous_status=previous)
