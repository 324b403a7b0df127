"""Privacy over GraphQL: a person's consent (statements and decisions on Profile, and
`setConsent`), erasure (`eraseProfile`), and data playback (`myData` for the signed-in
person, `subjectAccess` for a subject-access request). app.privacy does the work."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from starlette.concurrency import run_in_threadpool

from app.api.errors import BadUserInput, Forbidden
from app.api.loaders import RequestContext, request_context
from app.api.stewards import change
from app.errors import InputError
from app.privacy import consent as consents
from app.privacy.erasure import erase_person
from app.privacy.playback import playback, profile_of_customer


class ConsentStatement(graphene.ObjectType):
    class Meta:
        description = "One thing the person said about a purpose and channel, and where."

    purpose = graphene.String(required=True, description="marketing, profiling or sharing.")
    channel = graphene.String(
        required=True, description='email, phone, sms, post, or "*" for every channel.'
    )
    granted = graphene.Boolean(required=True)
    source = graphene.String(
        required=True, description='The record it came from ("crm:123"), or "api".'
    )
    at = graphene.String(description="When the person said it; null when the source did not say.")
    legal_basis = graphene.String()
    recorded_by = graphene.String(description="setConsent: who recorded it.")


class ConsentDecision(graphene.ObjectType):
    class Meta:
        description = (
            "What the statements allow for one purpose and channel: the latest explicit "
            "statement decides; a refusal wins a tie and when its time is unknown."
        )

    purpose = graphene.String(required=True)
    channel = graphene.String(required=True)
    allowed = graphene.Boolean(required=True)
    granted = graphene.Boolean(description="null: nobody asked (no consent).")
    reason = graphene.String(description="Why not allowed.")
    decided_by = graphene.Field(ConsentStatement, description="The deciding statement.")


def _statement(s: consents.Statement) -> ConsentStatement:
    return ConsentStatement(
        purpose=s.purpose,
        channel=s.channel,
        granted=s.granted,
        source=s.source,
        at=s.at,
        legal_basis=s.legal_basis,
        recorded_by=s.recorded_by,
    )


def _decision(d: consents.Decision) -> ConsentDecision:
    return ConsentDecision(
        purpose=d.purpose,
        channel=d.channel,
        allowed=d.allowed,
        granted=d.granted,
        reason=d.reason,
        decided_by=_statement(d.statement) if d.statement else None,
    )


async def profile_consent(profile_id: str, info: graphene.ResolveInfo) -> consents.Consent:
    access = request_context(info).access
    found: consents.Consent = await access.consent(("profile", profile_id))
    return found


async def consent_decisions(profile_id: str, info: graphene.ResolveInfo) -> list[ConsentDecision]:
    return [_decision(d) for d in (await profile_consent(profile_id, info)).decisions()]


async def consent_statements(profile_id: str, info: graphene.ResolveInfo) -> list[ConsentStatement]:
    found = await profile_consent(profile_id, info)
    return [_statement(s) for s in sorted(found.statements, key=lambda s: (s.at or "", s.source))]


class SetConsentPayload(graphene.ObjectType):
    statement = graphene.Field(ConsentStatement, required=True)
    customer_id = graphene.ID(required=True, description="The record it is kept on.")
    decisions = graphene.List(
        graphene.NonNull(ConsentDecision),
        required=True,
        description="Every decision for the person after it.",
    )


class ErasurePayload(graphene.ObjectType):
    class Meta:
        description = "What an erasure removed (counts; the audit entry holds the same)."

    profiles = graphene.Int(required=True)
    records = graphene.Int(required=True)
    interactions = graphene.Int(required=True)
    consent_statements = graphene.Int(required=True)
    identifiers = graphene.Int(required=True)
    alerts = graphene.Int(required=True)
    webhook_deliveries = graphene.Int(required=True)
    audit_events_redacted = graphene.Int(required=True)
    households_regrouped = graphene.List(graphene.NonNull(graphene.ID), required=True)
    households_deleted = graphene.Int(required=True)
    model_values = graphene.Int(required=True)
    labels = graphene.Int(required=True)
    quarantine_lines = graphene.Int(required=True)
    suppressed = graphene.Int(required=True)
    store_compacted = graphene.Boolean(required=True)
    seconds = graphene.Float(required=True)


def _own_profile(ctx: RequestContext) -> str:
    identity = ctx.identity
    if identity is None or not identity.customer_id:
        raise Forbidden("your identity names no customer record (role self needs one)")
    try:
        return profile_of_customer(ctx.store, identity.customer_id)
    except InputError as exc:
        raise BadUserInput(str(exc)) from exc


class PrivacyQuery(graphene.ObjectType):
    my_data = GenericScalar(
        description="Role self: everything held about you and what it was used to work out "
        "(the same document as a subject-access request)."
    )
    subject_access = GenericScalar(
        profile_id=graphene.ID(),
        customer_id=graphene.ID(),
        description="Everything held about a person (by profile id or one of their records): "
        "the document for a subject-access request.",
    )

    @staticmethod
    async def resolve_my_data(root: object, info: graphene.ResolveInfo) -> Any:
        ctx = request_context(info)

        def read() -> dict[str, Any]:
            return playback(ctx.store, ctx.settings, _own_profile(ctx))

        doc = await run_in_threadpool(read)
        ctx.access.note(("profile", doc["profile"]["profileId"]), "all")
        return doc

    @staticmethod
    async def resolve_subject_access(
        root: object,
        info: graphene.ResolveInfo,
        profile_id: str | None = None,
        customer_id: str | None = None,
    ) -> Any:
        ctx = request_context(info)
        if (profile_id is None) == (customer_id is None):
            raise BadUserInput("give exactly one of profileId or customerId")

        def read() -> dict[str, Any]:
            pid = profile_id or profile_of_customer(ctx.store, str(customer_id))
            return playback(ctx.store, ctx.settings, pid)

        try:
            doc = await run_in_threadpool(read)
        except InputError as exc:
            raise BadUserInput(str(exc)) from exc
        ctx.access.note(("profile", doc["profile"]["profileId"]), "all")
        return doc


class PrivacyMutation(graphene.ObjectType):
    set_consent = graphene.Field(
        SetConsentPayload,
        profile_id=graphene.ID(description="The person (kept on their first record)."),
        customer_id=graphene.ID(description="Or the record to keep it on."),
        purpose=graphene.String(required=True, description="marketing, profiling or sharing."),
        channel=graphene.String(description="email, phone, sms or post; null: every channel."),
        granted=graphene.Boolean(required=True),
        legal_basis=graphene.String(default_value="consent"),
        at=graphene.String(description="When the person said it (ISO 8601); default now."),
        source=graphene.String(description='Where it was said, e.g. "call 2026-01-05".'),
        description="Record what a person said about a purpose and channel. Role self: your "
        "own only.",
    )
    erase_profile = graphene.Field(
        ErasurePayload,
        id=graphene.ID(description="The person's profile id (a retired one leads on)."),
        customer_id=graphene.ID(description="Or one of their records."),
        reason=graphene.String(
            required=True, description="A request reference; it is kept, so no personal data."
        ),
        description="Erase the person: every record across merged profiles, what was derived "
        "from them, and whatever nobody else uses (docs/security.md). Cannot be undone.",
    )

    @staticmethod
    async def resolve_set_consent(
        root: object,
        info: graphene.ResolveInfo,
        purpose: str,
        granted: bool,
        profile_id: str | None = None,
        customer_id: str | None = None,
        channel: str | None = None,
        legal_basis: str = "consent",
        at: str | None = None,
        source: str | None = None,
    ) -> SetConsentPayload:
        ctx = request_context(info)
        identity = ctx.identity
        assert identity is not None
        own_only = not identity.can("consent:write")
        if (profile_id is None) == (customer_id is None) and not own_only:
            raise BadUserInput("give exactly one of profileId or customerId")

        def work(who: str) -> tuple[consents.Statement, str]:
            pid = profile_id
            cid = customer_id
            if own_only:
                own = _own_profile(ctx)
                if (pid or own) != own or (
                    cid is not None and profile_of_customer(ctx.store, cid) != own
                ):
                    raise Forbidden("role self may state its own consent only")
                pid = own if cid is None else None
            if cid is None:
                rows = ctx.store.read("api_profile_members", ids=[str(pid)])
                if not rows:
                    raise InputError(f"no profile {pid} with records")
                cid = sorted(str(r["customerId"]) for r in rows)[0]
            st = consents.record_statement(
                ctx.store, cid, purpose, channel, granted, legal_basis, who, at, source
            )
            return st, cid

        try:
            statement, cid = await change(info, work)
        except InputError as exc:
            raise BadUserInput(str(exc)) from exc

        def decisions() -> consents.Consent:
            row = ctx.store.read_one("profile_memberships_of", ids=[cid])
            if row is None:  # a record in no profile yet: its own statements
                return consents.consent_of_customers(ctx.store, [cid])[cid]
            pid = str(row["profileId"])
            return consents.consent_of_profiles(ctx.store, [pid])[pid]

        found = await run_in_threadpool(decisions)
        return SetConsentPayload(
            statement=_statement(statement),
            customer_id=cid,
            decisions=[_decision(d) for d in found.decisions()],
        )

    @staticmethod
    async def resolve_erase_profile(
        root: object,
        info: graphene.ResolveInfo,
        reason: str,
        id: str | None = None,
        customer_id: str | None = None,
    ) -> ErasurePayload:
        ctx = request_context(info)
        try:
            done = await change(
                info,
                lambda who: erase_person(ctx.store, ctx.settings, who, reason, id, customer_id),
            )
        except InputError as exc:
            raise BadUserInput(str(exc)) from exc
        return ErasurePayload(**done.as_dict())
