"""Customer DNA over GraphQL: a profile's metrics (value, history, trend), the running metric
definitions, `defineMetric`, and `recordInteraction`, which stores one event and recomputes
the metrics of the profile it touched before answering."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import graphene
from graphene.types.generic import GenericScalar
from starlette.concurrency import run_in_threadpool

from app import flows
from app.access import policy
from app.access.masking import mask
from app.api.access import marketing_use
from app.api.errors import BadUserInput
from app.api.loaders import request_context
from app.api.profiles import Profile
from app.api.records import ProfileRecord
from app.errors import ConfigError, InputError
from app.metrics import registry
from app.metrics.changes import MetricChange
from app.metrics.definitions import Definition, Factual, as_dict, parse_definition
from app.metrics.events import interaction_row
from app.metrics.storage import Stored, split_cause


class HistoryPoint(graphene.ObjectType):
    at = graphene.String(required=True, description="When the value took effect (ISO, UTC).")
    value = GenericScalar(description="A number or a text.")
    cause = graphene.String(
        required=True,
        description="data (interactions, a metrics run) or identity (the profile's records "
        "changed: a steward's decision, merge or split, an upsert): a correction, not behaviour.",
    )
    cause_id = graphene.ID(description="identity: the audit event of what moved the records.")


class ProfileMetric(graphene.ObjectType):
    class Meta:
        description = "One Customer DNA metric of a profile, as last computed."

    name = graphene.String(required=True)
    kind = graphene.String(required=True)
    value = GenericScalar(description="Number, text or boolean; null when it has none.")
    updated_at = graphene.String(description="When the value last changed.")
    history = graphene.List(
        graphene.NonNull(HistoryPoint), required=True, description="Oldest first, bounded."
    )
    trend_slope = graphene.Float(description="Least-squares slope of the history, per day.")
    trend_pct = graphene.Float(description="Percent change from first to last history value.")
    model_version = graphene.String(description="Model metrics: the model that scored it.")


class MetricDefinition(graphene.ObjectType):
    name = graphene.String(required=True)
    kind = graphene.String(required=True)
    description = graphene.String()
    depends_on = graphene.List(graphene.NonNull(graphene.String), required=True)
    definition = GenericScalar(
        required=True, description="Every field, as in the YAML file (defaults left out)."
    )


class MetricChangeType(graphene.ObjectType):
    class Meta:
        name = "MetricChange"

    metric = graphene.String(required=True)
    previous = GenericScalar()
    value = GenericScalar()
    at = graphene.String(required=True)
    history = graphene.List(GenericScalar, required=True)

    @classmethod
    def of(cls, change: MetricChange) -> MetricChangeType:
        return cls(
            metric=change.metric,
            previous=change.previous,
            value=change.value,
            at=change.at,
            history=list(change.history),
        )


class RecordInteractionPayload(graphene.ObjectType):
    interaction_id = graphene.ID(required=True)
    customer_id = graphene.ID(required=True)
    profile = graphene.Field(
        Profile, description="The profile the record resolves to; null before resolution."
    )
    changes = graphene.List(graphene.NonNull(MetricChangeType), required=True)
    alerts_raised = graphene.Int(required=True)
    milliseconds = graphene.Float(required=True, description="Store and recompute time.")


def _metric(d: Definition, dna: Mapping[str, Any]) -> ProfileMetric:
    s = Stored.of(d.name, dna)
    return ProfileMetric(
        name=d.name,
        kind=d.kind,
        value=s.value,
        updated_at=s.at,
        history=[
            HistoryPoint(at=t, value=v, cause=kind, cause_id=ref)
            for t, v, (kind, ref) in zip(
                s.times, s.values, map(split_cause, s.point_causes()), strict=False
            )
        ],
        trend_slope=s.slope,
        trend_pct=s.pct,
        model_version=s.version,
    )


def _definition(d: Definition) -> MetricDefinition:
    deps = d.depends_on()
    return MetricDefinition(
        name=d.name,
        kind=d.kind,
        description=d.description or None,
        depends_on=list(deps),
        definition=as_dict(d),
    )


async def profile_metrics(
    profile_id: str, info: graphene.ResolveInfo, stored: Mapping[str, Any] | None = None
) -> list[ProfileMetric]:
    """Profile.metrics: every running metric of the profile (value null if never computed),
    from its stored properties when the profile was read whole, else from the properties of
    all profiles asked for in the request, read at once."""
    ctx = request_context(info)
    props = stored if stored is not None else await ctx.loaders.profile_props.load(profile_id)
    out = []
    for d in registry.running(ctx.settings):
        metric = _metric(d, props)
        if isinstance(d, Factual):
            metric = await _as_personal_data(metric, d.field, profile_id, info)
        out.append(metric)
    return out


async def _as_personal_data(
    metric: ProfileMetric, field: str, profile_id: str, info: graphene.ResolveInfo
) -> ProfileMetric:
    """A factual metric is a copy of a record's field, so it is that field's personal data:
    masked without read:pii, withheld from a marketing use without consent on its channel,
    its unmasked read audited (as Profile.<field> is; app/access/policy.py)."""
    access = request_context(info).access
    kind = policy.PII_FIELDS.get(("Profile", field))
    channels = policy.CHANNEL_FIELDS.get(("Profile", field))
    if access is None or (kind is None and channels is None):
        return metric
    subject = ("profile", profile_id)
    if channels and marketing_use(info):
        consent = await access.consent(subject)
        if not consent.allows("marketing", channels):
            metric.value, metric.history = None, []
            return metric
    if kind is None:
        return metric
    if not access.identity.pii:
        metric.value = mask(kind, metric.value) if isinstance(metric.value, str) else metric.value
        for point in metric.history:
            point.value = mask(kind, point.value) if isinstance(point.value, str) else point.value
    elif metric.value is not None:
        access.note(subject, kind)
    return metric


def _as_of(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadUserInput(f"asOf: {raw!r} is not an ISO 8601 date-time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class MetricsQuery(graphene.ObjectType):
    metric_definitions = graphene.List(
        graphene.NonNull(MetricDefinition),
        required=True,
        description="The running metric definitions, each after the metrics it reads.",
    )

    @staticmethod
    async def resolve_metric_definitions(
        root: object, info: graphene.ResolveInfo
    ) -> list[MetricDefinition]:
        settings = request_context(info).settings
        defs = await run_in_threadpool(registry.running, settings)
        return [_definition(d) for d in defs]


class MetricsMutation(graphene.ObjectType):
    define_metric = graphene.Field(
        graphene.NonNull(MetricDefinition),
        definition=GenericScalar(
            required=True,
            description='Fields as in the YAML file, e.g. {name: "spend7d", kind: "aggregate", '
            'agg: "sum", where: {types: ["purchase"]}, window: "7d"}.',
        ),
        description="Add a metric or replace one of the same name. The whole set is checked "
        "first (fields, windows, formula references, cycles, model files); a refused "
        "definition changes nothing. Takes effect at the next computation.",
    )
    record_interaction = graphene.Field(
        graphene.NonNull(RecordInteractionPayload),
        source=graphene.String(required=True),
        customer_key=graphene.String(required=True, description="The record's key in source."),
        type=graphene.String(required=True, description="purchase, pos, web_click, ..."),
        timestamp=graphene.String(required=True, description="ISO 8601; naive means UTC."),
        channel=graphene.String(),
        value=graphene.Float(),
        event_id=graphene.String(description="Unique in the source; generated if left out."),
        as_of=graphene.String(
            description="Compute windows as of this time instead of now (replays, tests)."
        ),
        description="Store one interaction and recompute the metrics of the profile its "
        "record resolves to; the changed metrics come back and go to the alert rules.",
    )

    @staticmethod
    async def resolve_define_metric(
        root: object, info: graphene.ResolveInfo, definition: Any
    ) -> MetricDefinition:
        if not isinstance(definition, dict):
            raise BadUserInput("definition must be an object of fields")
        ctx = request_context(info)
        try:
            parsed = parse_definition(definition)
            await run_in_threadpool(registry.define_by, ctx.store, ctx.settings, parsed, ctx.actor)
        except ConfigError as exc:
            raise BadUserInput(str(exc)) from None
        return _definition(parsed)

    @staticmethod
    async def resolve_record_interaction(
        root: object,
        info: graphene.ResolveInfo,
        source: str,
        customer_key: str,
        type: str,
        timestamp: str,
        channel: str | None = None,
        value: float | None = None,
        event_id: str | None = None,
        as_of: str | None = None,
    ) -> RecordInteractionPayload:
        ctx = request_context(info)
        try:
            row = interaction_row(
                source,
                customer_key,
                type,
                timestamp,
                channel,
                value,
                event_id,
                max_len=ctx.settings.max_field_length,
            )
        except InputError as exc:
            raise BadUserInput(str(exc)) from None
        now = _as_of(as_of)

        try:
            async with ctx.write_lock:
                result, raised = await run_in_threadpool(
                    flows.record_event, ctx.store, ctx.settings, row, ctx.actor, now
                )
        finally:
            ctx.loaders.clear_all()
        profile: ProfileRecord | None = None
        if result.profile_id:
            profile = await ctx.loaders.profiles.load(result.profile_id)
        return RecordInteractionPayload(
            interaction_id=result.interaction_id,
            customer_id=result.customer_id,
            profile=profile,
            changes=[MetricChangeType.of(c) for c in result.changes],
            alerts_raised=raised,
            milliseconds=result.milliseconds,
        )
