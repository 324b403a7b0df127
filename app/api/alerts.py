"""Alerts over GraphQL: define and list alert rules, list alerts (by status or entity, newest
first) and acknowledge them. Rule definitions and acknowledgements name who makes them
(the signed-in identity). app.alerts does the work; the store is synchronous, so calls go to
a thread."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import graphene
from graphene import relay
from graphene.types.generic import GenericScalar
from starlette.concurrency import run_in_threadpool

from app.alerts.engine import running_rules
from app.alerts.manage import (
    acknowledge_alert,
    define_rule,
    deliveries,
    list_alerts,
    remove_rule,
)
from app.alerts.records import AlertRecord, DeliveryRecord
from app.alerts.rules import AlertRule as Rule
from app.api.errors import NotFound
from app.api.inputs import decode_cursor, encode_cursor, page_size
from app.api.loaders import request_context
from app.api.paging import connection
from app.api.profiles import Profile
from app.api.records import ProfileRecord

ALERTS_PAGE = 20
_ALERT_CURSOR = "alert"


@dataclass(frozen=True)
class RuleView:
    rule: Rule
    origin: str


@dataclass(frozen=True)
class AlertView:
    alert: AlertRecord
    deliveries: list[DeliveryRecord]


def _from_view(path: str) -> Any:
    """A resolver reading parent.<path> from a RuleView or AlertView ("rule.scope.kind"): the
    fields that show the wrapped record as it is."""
    get = attrgetter(path)

    def resolve(parent: RuleView | AlertView, info: graphene.ResolveInfo) -> Any:
        return get(parent)

    return resolve


class AlertFilter(graphene.ObjectType):
    property = graphene.String(required=True)
    op = graphene.String(required=True, description="eq, ne, gt, ge, lt, le or in.")
    value = GenericScalar(required=True)


class AlertRule(graphene.ObjectType):
    class Meta:
        description = "A running alert rule (docs/alerts.md)."

    name = graphene.String(required=True, resolver=_from_view("rule.name"))
    metric = graphene.String(
        required=True,
        description="Metric name, without the dna_ prefix.",
        resolver=_from_view("rule.metric"),
    )
    label = graphene.String(
        required=True, description="Profile or Household.", resolver=_from_view("rule.label")
    )
    condition = graphene.String(
        required=True,
        description="above, below, crosses, change_pct.",
        resolver=_from_view("rule.condition"),
    )
    threshold = graphene.Float(
        required=True, description="change_pct: per cent.", resolver=_from_view("rule.threshold")
    )
    direction = graphene.String(
        required=True, description="up, down or any.", resolver=_from_view("rule.direction")
    )
    periods = graphene.Int(
        required=True,
        description="Consecutive periods (`for` in YAML) for above/below.",
        resolver=_from_view("rule.periods"),
    )
    scope = graphene.String(
        required=True,
        description="entity, collection or label.",
        resolver=_from_view("rule.scope.kind"),
    )
    entity_id = graphene.String(
        description="The one entity watched (scope entity).",
        resolver=_from_view("rule.scope.entity"),
    )
    where = graphene.List(graphene.NonNull(AlertFilter), required=True)
    cooldown_seconds = graphene.Int(required=True, resolver=_from_view("rule.cooldown"))
    webhooks = graphene.List(
        graphene.NonNull(graphene.String), description="Null: every configured webhook."
    )
    message = graphene.String(required=True, resolver=_from_view("rule.message"))
    identity_changes = graphene.Boolean(
        required=True,
        description="Also fires on changes caused by identity (records joining or leaving: "
        "merges, splits, steward decisions); by default those are corrections, not behaviour.",
        resolver=_from_view("rule.identity_changes"),
    )
    origin = graphene.String(
        required=True,
        description="file (the rules file) or graphql.",
        resolver=_from_view("origin"),
    )

    @staticmethod
    def resolve_where(parent: RuleView, info: graphene.ResolveInfo) -> list[AlertFilter]:
        return [
            AlertFilter(
                property=f.property,
                op=f.op,
                value=list(f.value) if isinstance(f.value, tuple) else f.value,
            )
            for f in parent.rule.scope.where
        ]

    @staticmethod
    def resolve_webhooks(parent: RuleView, info: graphene.ResolveInfo) -> list[str] | None:
        return None if parent.rule.webhooks is None else list(parent.rule.webhooks)


class AlertFilterInput(graphene.InputObjectType):
    property = graphene.String(required=True, description="An entity property, e.g. dna_segment.")
    op = graphene.String(default_value="eq", description="eq, ne, gt, ge, lt, le or in.")
    value = GenericScalar(required=True, description="A value; a list for op in.")


class AlertRuleInput(graphene.InputObjectType):
    name = graphene.String(required=True, description="Lower case, digits, - and _.")
    metric = graphene.String(required=True, description="Without the dna_ prefix.")
    label = graphene.String(default_value="Profile", description="Profile or Household.")
    condition = graphene.String(required=True, description="above, below, crosses, change_pct.")
    threshold = graphene.Float(required=True, description="change_pct: per cent.")
    direction = graphene.String(description="crosses and change_pct: up, down or any.")
    periods = graphene.Int(description="above/below: consecutive periods that must all meet it.")
    entity_id = graphene.String(description="Watch this one profile or household only.")
    where = graphene.List(
        graphene.NonNull(AlertFilterInput),
        description="Watch the entities whose properties meet every filter.",
    )
    cooldown = graphene.String(description='Seconds, or "15m", "2h", "7d". Default 1 day.')
    webhooks = graphene.List(
        graphene.NonNull(graphene.String), description="Configured webhook names; default all."
    )
    message = graphene.String()
    identity_changes = graphene.Boolean(
        description="Also fire on changes caused by identity corrections (default false)."
    )


class WebhookDelivery(graphene.ObjectType):
    webhook = graphene.String(required=True)
    status = graphene.String(required=True, description="pending or delivered.")
    attempts = graphene.Int(required=True)
    next_attempt_at = graphene.String()
    last_attempt_at = graphene.String()
    last_error = graphene.String()
    delivered_at = graphene.String()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class Alert(graphene.ObjectType):
    class Meta:
        description = "A fired alert about a profile or a household."

    id = graphene.ID(required=True, resolver=_from_view("alert.alert_id"))
    rule = graphene.String(required=True, resolver=_from_view("alert.rule"))
    metric = graphene.String(required=True, resolver=_from_view("alert.metric"))
    label = graphene.String(
        required=True, description="Profile or Household.", resolver=_from_view("alert.label")
    )
    entity_id = graphene.ID(required=True, resolver=_from_view("alert.entity_id"))
    value = graphene.Float()
    previous = graphene.Float()
    threshold = graphene.Float(required=True, resolver=_from_view("alert.threshold"))
    condition = graphene.String(required=True, resolver=_from_view("alert.condition"))
    direction = graphene.String(required=True, resolver=_from_view("alert.direction"))
    periods = graphene.Int(required=True, resolver=_from_view("alert.periods"))
    message = graphene.String(required=True, resolver=_from_view("alert.message"))
    fired_at = graphene.String(required=True, resolver=_from_view("alert.fired_at"))
    cause = graphene.String(
        required=True,
        description="What changed the metric: data, or identity (for rules that ask for it).",
        resolver=_from_view("alert.cause"),
    )
    observed_at = graphene.String(
        description="When the metric changed.", resolver=_from_view("alert.observed_at")
    )
    status = graphene.String(
        required=True, description="open or acknowledged.", resolver=_from_view("alert.status")
    )
    acknowledged_by = graphene.String(resolver=_from_view("alert.acknowledged_by"))
    acknowledged_at = graphene.String(resolver=_from_view("alert.acknowledged_at"))
    decision_maker_id = graphene.ID(
        description="Household alerts: the decision-maker's profileId, to whom it is addressed.",
        resolver=_from_view("alert.decision_maker_id"),
    )
    profile = graphene.Field(Profile, description="The profile it is about (label Profile).")
    decision_maker = graphene.Field(Profile, description="Household alerts: the decision-maker.")
    deliveries = graphene.List(graphene.NonNull(WebhookDelivery), required=True)

    @staticmethod
    def resolve_value(parent: AlertView, info: graphene.ResolveInfo) -> float | None:
        return _number(parent.alert.value)

    @staticmethod
    def resolve_previous(parent: AlertView, info: graphene.ResolveInfo) -> float | None:
        return _number(parent.alert.previous)

    @staticmethod
    async def resolve_profile(
        parent: AlertView, info: graphene.ResolveInfo
    ) -> ProfileRecord | None:
        if parent.alert.label != "Profile":
            return None
        record: ProfileRecord | None = await request_context(info).loaders.profiles.load(
            parent.alert.entity_id
        )
        return record

    @staticmethod
    async def resolve_decision_maker(
        parent: AlertView, info: graphene.ResolveInfo
    ) -> ProfileRecord | None:
        if parent.alert.decision_maker_id is None:
            return None
        record: ProfileRecord | None = await request_context(info).loaders.profiles.load(
            parent.alert.decision_maker_id
        )
        return record

    @staticmethod
    def resolve_deliveries(parent: AlertView, info: graphene.ResolveInfo) -> list[DeliveryRecord]:
        return parent.deliveries


class AlertConnection(relay.Connection):
    class Meta:
        node = Alert
        strict_types = True


def _with_deliveries(store: Any, alerts: list[AlertRecord]) -> list[AlertView]:
    found = deliveries(store, [a.alert_id for a in alerts]) if alerts else {}
    return [AlertView(a, found.get(a.alert_id, [])) for a in alerts]


OPEN_ALERTS_SHOWN = 50


async def open_alerts(entity_id: str, info: graphene.ResolveInfo) -> list[AlertView]:
    """The open alerts about a profile or household, newest first (Profile.openAlerts)."""
    store = request_context(info).store

    def read() -> list[AlertView]:
        return _with_deliveries(
            store, list_alerts(store, "open", entity_id, OPEN_ALERTS_SHOWN).items
        )

    return await run_in_threadpool(read)


class AlertQuery(graphene.ObjectType):
    alert_rules = graphene.List(
        graphene.NonNull(AlertRule),
        required=True,
        description="The running alert rules: the rules file's, then those defined over GraphQL.",
    )
    alerts = graphene.Field(
        AlertConnection,
        status=graphene.String(description="open or acknowledged; all when absent."),
        entity_id=graphene.ID(description="Only alerts about this profile or household."),
        first=graphene.Int(default_value=ALERTS_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Fired alerts, newest first.",
    )

    @staticmethod
    async def resolve_alert_rules(root: object, info: graphene.ResolveInfo) -> list[RuleView]:
        ctx = request_context(info)
        rules = await run_in_threadpool(running_rules, ctx.store, ctx.settings)
        return [RuleView(r, rules.origin[r.name]) for r in rules.rules]

    @staticmethod
    async def resolve_alerts(
        root: object,
        info: graphene.ResolveInfo,
        status: str | None = None,
        entity_id: str | None = None,
        first: int | None = ALERTS_PAGE,
        after: str | None = None,
    ) -> AlertConnection:
        ctx = request_context(info)
        size = page_size(first, ALERTS_PAGE)
        key = decode_cursor(after, _ALERT_CURSOR, (int, str)) if after else None
        after_key = (int(key[0]), str(key[1])) if key else None

        def read() -> tuple[list[AlertView], bool]:
            page = list_alerts(ctx.store, status, entity_id, size, after_key)
            return _with_deliveries(ctx.store, page.items), page.has_next

        views, has_next = await run_in_threadpool(read)
        cursors = [
            encode_cursor(_ALERT_CURSOR, v.alert.fired_at_ms, v.alert.alert_id) for v in views
        ]
        return connection(AlertConnection, views, cursors, after, has_next)


def _rule_data(rule: Any) -> dict[str, Any]:
    """AlertRuleInput as the rule's YAML spelling; absent fields keep their defaults."""
    fields = (
        "name",
        "metric",
        "label",
        "condition",
        "threshold",
        "direction",
        "periods",
        "cooldown",
        "webhooks",
        "message",
    )
    data: dict[str, Any] = {k: rule.get(k) for k in fields if rule.get(k) is not None}
    if rule.get("identity_changes") is not None:
        data["identityChanges"] = rule["identity_changes"]
    scope: dict[str, Any] = {}
    if rule.get("entity_id") is not None:
        scope["entity"] = rule["entity_id"]
    if rule.get("where"):
        scope["where"] = [dict(f) for f in rule["where"]]
    if scope:
        data["scope"] = scope
    return data


class AlertMutation(graphene.ObjectType):
    define_alert_rule = graphene.Field(
        AlertRule,
        required=True,
        rule=graphene.Argument(AlertRuleInput, required=True),
        description="Define a rule (or replace one defined over GraphQL with this name); it "
        "runs at once and persists. A bad rule is refused with the reason and the running "
        "rules stay as they were.",
    )
    remove_alert_rule = graphene.Field(
        graphene.Boolean,
        required=True,
        name=graphene.String(required=True),
        description="Remove a rule defined over GraphQL (false if there was none).",
    )
    acknowledge_alert = graphene.Field(
        Alert,
        required=True,
        id=graphene.ID(required=True),
        description="Mark an alert acknowledged by the signed-in identity (again: no change).",
    )

    @staticmethod
    async def resolve_define_alert_rule(
        root: object, info: graphene.ResolveInfo, rule: Any
    ) -> RuleView:
        ctx = request_context(info)
        who = ctx.actor
        data = _rule_data(rule)
        async with ctx.write_lock:
            defined = await run_in_threadpool(define_rule, ctx.store, ctx.settings, data, who)
        return RuleView(defined, "graphql")

    @staticmethod
    async def resolve_remove_alert_rule(
        root: object, info: graphene.ResolveInfo, name: str
    ) -> bool:
        ctx = request_context(info)
        who = ctx.actor
        async with ctx.write_lock:
            return await run_in_threadpool(remove_rule, ctx.store, ctx.settings, name, who)

    @staticmethod
    async def resolve_acknowledge_alert(
        root: object, info: graphene.ResolveInfo, id: str
    ) -> AlertView:
        ctx = request_context(info)
        who = ctx.actor

        def ack() -> AlertView | None:
            alert = acknowledge_alert(ctx.store, id, who)
            return None if alert is None else _with_deliveries(ctx.store, [alert])[0]

        view = await run_in_threadpool(ack)
        if view is None:
            raise NotFound(f"no alert with id {id!r}")
        return view
