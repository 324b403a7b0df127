"""The audit trail over GraphQL: `auditTrail`, newest first, filtered and paged; app.audit does
the reading. Personal values in before/after are masked for callers without read:pii."""

from __future__ import annotations

import graphene
from graphene import relay
from starlette.concurrency import run_in_threadpool

from app import audit
from app.api.errors import BadUserInput
from app.api.inputs import decode_cursor, encode_cursor, page_size
from app.api.loaders import request_context
from app.api.paging import connection
from app.errors import InputError

AUDIT_PAGE = 20
_CURSOR = "audit"


class AuditEvent(graphene.ObjectType):
    class Meta:
        description = "One change (or unmasked read) and who made it."

    audit_id = graphene.ID(required=True)
    at = graphene.String(required=True, description="ISO 8601, UTC.")
    actor = graphene.String(
        required=True, description='The signed-in identity ("key:<name>", a user) or "cli:<user>".'
    )
    action = graphene.String(
        required=True, description="The mutation or command: confirmMatch, splitCustomer, ..."
    )
    entity_ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="What it is about."
    )
    reason = graphene.String()
    before = graphene.String(description="JSON: the state before.")
    after = graphene.String(description="JSON: the state after.")


class AuditConnection(relay.Connection):
    class Meta:
        node = AuditEvent
        strict_types = True

    total_count = graphene.Int(
        required=True, description="Every event the filters select, over all pages."
    )


class AuditQuery(graphene.ObjectType):
    audit_trail = graphene.Field(
        AuditConnection,
        entity_id=graphene.ID(
            description="A record, profile (with its records), rule or metric "
            '("metric:<name>", "alertRule:<name>").'
        ),
        actor=graphene.String(description="Only changes by this actor."),
        action=graphene.List(
            graphene.NonNull(graphene.String),
            description='Only these actions, e.g. "mergeProfiles" or ["confirmMatch", '
            '"rejectMatch"].',
        ),
        since=graphene.String(description="ISO 8601 date or date-time; naive means UTC."),
        first=graphene.Int(default_value=AUDIT_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Who changed what, when and why, newest first, with the total.",
    )

    @staticmethod
    async def resolve_audit_trail(
        root: object,
        info: graphene.ResolveInfo,
        entity_id: str | None = None,
        actor: str | None = None,
        action: list[str] | None = None,
        since: str | None = None,
        first: int | None = AUDIT_PAGE,
        after: str | None = None,
    ) -> AuditConnection:
        ctx = request_context(info)
        size = page_size(first, AUDIT_PAGE)
        key = decode_cursor(after, _CURSOR, (int, str)) if after else None
        where = audit.TrailFilter(entity_id, actor, since, tuple(action) if action else None)
        try:
            page = await run_in_threadpool(
                audit.trail, ctx.store, where, size, (key[0], key[1]) if key else None
            )
        except InputError as refused:
            raise BadUserInput(str(refused)) from None
        pii = ctx.identity is not None and ctx.identity.pii
        events = [e if pii else e.masked() for e in page.events]
        cursors = [encode_cursor(_CURSOR, e.at_us, e.audit_id) for e in events]
        out = connection(AuditConnection, events, cursors, after, page.has_next)
        out.total_count = page.total
        return out
