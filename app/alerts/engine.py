"""Evaluate metric changes against the running rules and fire alerts.

Cheap by construction: rules are indexed by (label, metric), conditions are pure functions,
and the store is touched only for changes that meet a condition: one batched read of entity
properties when a collection-scoped rule needs them, and one write per label that checks the
cooldown, creates the Alert nodes and queues their webhook deliveries. No HTTP here: the
delivery worker (delivery.py) posts later, so a slow webhook never slows the caller."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.alerts.conditions import condition_met, passes
from app.alerts.records import AlertRecord
from app.alerts.rules import (
    AlertRule,
    AlertRuleError,
    RuleSet,
    load_rules_file,
    parse_rule,
)
from app.metrics.changes import MetricChange
from app.settings import Settings
from app.store import GraphStore
from app.store.batches import batched

log = logging.getLogger(__name__)

_PROPS_QUERY = {"Profile": "alert_profile_props", "Household": "alert_household_props"}
_FIRE_QUERY = {"Profile": "alert_fire_profile", "Household": "alert_fire_household"}

# Set when deliveries are queued, so a delivery worker in this process posts at once
# instead of at its next poll.
deliveries_queued = threading.Event()


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Cached:
    file: Path | None
    file_mtime: float | None
    file_rules: tuple[AlertRule, ...]
    defined: tuple[AlertRule, ...]
    defined_read_at: float  # time.monotonic()
    rules: RuleSet


class RuleBook:
    """The running rules of one store: the rules file (re-read when it changes; a bad new
    version is logged and the previous rules keep running) plus the rules defined over
    GraphQL (AlertRule nodes, re-read every alert_rules_refresh_s, at once after a define)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: _Cached | None = None

    def rules(self, store: GraphStore, settings: Settings) -> RuleSet:
        c = self._cached
        if (
            c is not None
            and c.file == settings.alert_rules_file
            and time.monotonic() - c.defined_read_at < settings.alert_rules_refresh_s
            and _mtime(c.file) == c.file_mtime
        ):
            return c.rules
        with self._lock:
            return self._refresh(store, settings)

    def invalidate(self) -> None:
        with self._lock:
            if self._cached is not None:
                self._cached.defined_read_at = float("-inf")

    def _refresh(self, store: GraphStore, settings: Settings) -> RuleSet:
        c = self._cached
        path = settings.alert_rules_file
        mtime = _mtime(path)
        if c is not None and c.file == path and c.file_mtime == mtime:
            file_rules = c.file_rules
        else:
            try:
                file_rules = tuple(load_rules_file(path, settings.webhooks))
            except AlertRuleError:
                if c is None or c.file != path:
                    raise  # nothing running yet: say so
                log.exception("alert rules file changed but cannot be used; keeping the old rules")
                file_rules = c.file_rules
        defined = tuple(read_defined_rules(store))
        rules = RuleSet.of(file_rules, defined)
        self._cached = _Cached(path, mtime, file_rules, defined, time.monotonic(), rules)
        return rules


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime
    except OSError:
        return None


_BOOKS: weakref.WeakKeyDictionary[GraphStore, RuleBook] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def rulebook(store: GraphStore) -> RuleBook:
    with _BOOKS_LOCK:
        book = _BOOKS.get(store)
        if book is None:
            book = _BOOKS[store] = RuleBook()
        return book


def running_rules(store: GraphStore, settings: Settings) -> RuleSet:
    return rulebook(store).rules(store, settings)


def watched_metrics(store: GraphStore, settings: Settings, label: str) -> frozenset[str]:
    """The metrics of `label` ("Profile", "Household") that some running rule watches: the
    only changes evaluate_changes can fire on (rules are looked up by label and metric)."""
    return frozenset(
        metric for (on, metric) in running_rules(store, settings).by_metric if on == label
    )


def read_defined_rules(store: GraphStore) -> list[AlertRule]:
    """Rules defined over GraphQL. One that no longer validates (say, an older format) is
    logged and left out rather than stopping every other rule."""
    out: list[AlertRule] = []
    for row in store.read("alert_rules"):
        try:
            out.append(parse_rule(json.loads(str(row["definition"]))))
        except (AlertRuleError, ValueError) as exc:
            log.error("stored alert rule %r is not usable and is skipped: %s", row["name"], exc)
    return out


def _fires(rule: AlertRule, change: MetricChange) -> bool:
    if rule.scope.entity is not None and rule.scope.entity != change.entity_id:
        return False
    if change.cause == "identity" and not rule.identity_changes:
        return False  # a correction of who is who, not a change of behaviour
    return condition_met(rule, change)


def evaluate_changes(
    store: GraphStore,
    settings: Settings,
    changes: Sequence[MetricChange],
    *,
    now: int | None = None,
) -> list[AlertRecord]:
    """Fire the alerts these metric changes call for; return the alerts created (an alert in
    its rule's cooldown for that entity, or about an entity not in the graph, is not).
    `now` (epoch ms) is for tests; it defaults to the clock."""
    if not changes:
        return []
    rules = running_rules(store, settings)
    hits: dict[tuple[str, str, str], tuple[AlertRule, MetricChange]] = {}
    for change in changes:
        for rule in rules.by_metric.get((change.label, change.metric), ()):
            if _fires(rule, change):
                # the latest change of a batch speaks for its (rule, entity)
                hits[(rule.name, change.label, change.entity_id)] = (rule, change)
    if not hits:
        return []
    scoped = [h for h in hits.values() if h[0].scope.where]
    props = _collection_props(store, scoped, settings.batch_size)
    ms = now if now is not None else now_ms()
    fired: list[AlertRecord] = []
    by_label: dict[str, list[tuple[AlertRecord, AlertRule]]] = {}
    for rule, change in hits.values():
        if rule.scope.where and not passes(rule, props.get((change.label, change.entity_id))):
            continue
        alert = _alert(rule, change, ms)
        by_label.setdefault(change.label, []).append((alert, rule))
    queued = False
    for label, items in by_label.items():
        # One order for every writer: the fire query locks each entity before its cooldown
        # check, and writers taking locks in different orders could deadlock on Neo4j.
        items.sort(key=lambda item: (item[0].entity_id, item[0].rule))
        rows = [_fire_row(alert, rule, settings, ms) for alert, rule in items]
        made: dict[str, Any] = {}
        for batch in batched(rows, settings.batch_size):  # a batch run may fire thousands
            created, _ = store.run_text(
                store.cypher(_FIRE_QUERY[label]), {"rows": batch}, write=True
            )
            made.update((str(r["alertId"]), r.get("decisionMakerId")) for r in created)
        for (alert, _rule), row in zip(items, rows, strict=True):
            if alert.alert_id in made:
                dm = made[alert.alert_id]
                fired.append(alert if dm is None else replace(alert, decision_maker_id=str(dm)))
                queued = queued or bool(row["webhooks"])
    if queued:
        deliveries_queued.set()
    return fired


def _collection_props(
    store: GraphStore, hits: Sequence[tuple[AlertRule, MetricChange]], batch_size: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """Properties of the entities collection-scoped rules must filter: one read per label
    (per batch_size entities)."""
    ids: dict[str, set[str]] = {}
    for _rule, change in hits:
        ids.setdefault(change.label, set()).add(change.entity_id)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for label, wanted in ids.items():
        ordered = sorted(wanted)
        for i in range(0, len(ordered), batch_size):
            for row in store.read(_PROPS_QUERY[label], ids=ordered[i : i + batch_size]):
                out[(label, str(row["id"]))] = dict(row["props"] or {})
    return out


def _alert(rule: AlertRule, change: MetricChange, ms: int) -> AlertRecord:
    return AlertRecord(
        alert_id=f"AL-{uuid.uuid4().hex[:16]}",
        rule=rule.name,
        label=change.label,
        entity_id=change.entity_id,
        metric=change.metric,
        value=change.value,
        previous=change.previous,
        threshold=rule.threshold,
        condition=rule.condition,
        direction=rule.direction,
        periods=rule.periods,
        message=rule.message,
        fired_at=iso(ms),
        fired_at_ms=ms,
        observed_at=change.at,
        cause=change.cause,
    )


def cooldown_key(rule: str, label: str, entity_id: str) -> str:
    return f"{rule}|{label}|{entity_id}"


def _fire_row(alert: AlertRecord, rule: AlertRule, settings: Settings, ms: int) -> dict[str, Any]:
    key = cooldown_key(rule.name, alert.label, alert.entity_id)
    webhooks = list(settings.webhooks) if rule.webhooks is None else list(rule.webhooks)
    return {
        "alertId": alert.alert_id,
        "entityId": alert.entity_id,
        "cooldownKey": key,
        # fired strictly after this instant means still cooling down
        "cooldownFromMs": ms - rule.cooldown * 1000,
        "props": {**alert.props(), "cooldownKey": key},
        "webhooks": sorted(webhooks),
    }
