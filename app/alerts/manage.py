"""Defining rules at run time, listing and acknowledging alerts: what the API and CLI call."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.alerts.engine import read_defined_rules, rulebook, running_rules
from app.alerts.records import AlertRecord, DeliveryRecord
from app.alerts.rules import AlertRule, AlertRuleError, parse_rule
from app.audit import record as audit
from app.errors import InputError
from app.settings import Settings
from app.store import GraphStore

STATUSES = ("open", "acknowledged")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def define_rule(
    store: GraphStore, settings: Settings, data: Mapping[str, Any], actor: str
) -> AlertRule:
    """Validate a rule and make it run (a rule of the same name defined before is replaced).
    A bad rule raises AlertRuleError with the reason; the running rules stay as they were."""
    rule = parse_rule(data, settings.webhooks)
    if running_rules(store, settings).origin.get(rule.name) == "file":
        raise AlertRuleError(
            f"rule {rule.name!r}: name: defined in the rules file "
            f"({settings.alert_rules_file or 'starter rules'}); change it there or pick "
            "another name"
        )
    earlier = next((r for r in read_defined_rules(store) if r.name == rule.name), None)
    row = {
        "name": rule.name,
        "definition": json.dumps(rule.definition(), sort_keys=True),
        "definedBy": actor,
        "definedAt": _now(),
    }
    store.write("alert_rule_save", rows=[row])
    rulebook(store).invalidate()
    before = earlier.definition() if earlier else None
    audit(
        store, actor, "defineAlertRule", "", before, rule.definition(), other_ids=[_id(rule.name)]
    )
    return rule


def _id(name: str) -> str:
    """A rule in the audit trail's entityIds."""
    return f"alertRule:{name}"


def remove_rule(store: GraphStore, settings: Settings, name: str, actor: str) -> bool:
    """Remove a rule defined over GraphQL; False if there was none of that name."""
    if running_rules(store, settings).origin.get(name) == "file":
        raise AlertRuleError(f"rule {name!r} comes from the rules file; remove it there")
    earlier = next((r for r in read_defined_rules(store) if r.name == name), None)
    if earlier is None:
        return False
    store.write("alert_rule_delete", rows=[{"name": name}])
    rulebook(store).invalidate()
    audit(store, actor, "removeAlertRule", "", earlier.definition(), None, other_ids=[_id(name)])
    return True


@dataclass(frozen=True)
class AlertPage:
    items: list[AlertRecord]
    has_next: bool


def list_alerts(
    store: GraphStore,
    status: str | None = None,
    entity_id: str | None = None,
    first: int = 20,
    after: tuple[int, str] | None = None,
) -> AlertPage:
    """Newest first; keyset paging after (firedAtMs, alertId) of the previous page's last."""
    if status is not None and status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    params: dict[str, Any] = {
        "status": status,
        "afterMs": after[0] if after else None,
        "afterId": after[1] if after else None,
        "limit": first + 1,
    }
    if entity_id is not None:
        rows = store.read("alert_list_by_entity", entityId=entity_id, **params)
    else:
        rows = store.read("alert_list", **params)
    items = [AlertRecord.from_props(r["alert"]) for r in rows]
    return AlertPage(items[:first], len(items) > first)


def acknowledge_alert(store: GraphStore, alert_id: str, actor: str) -> AlertRecord | None:
    """Mark an alert acknowledged by actor; None if there is no such alert. Acknowledging an
    acknowledged alert changes nothing (the first who and when stay)."""
    at = _now()
    rows, _ = store.run_text(
        store.cypher("alert_acknowledge"),
        {"alertId": alert_id, "actor": actor, "at": at},
        write=True,
    )
    if not rows:
        return None
    alert = AlertRecord.from_props(rows[0]["alert"])
    if (alert.acknowledged_by, alert.acknowledged_at) == (actor, at):  # this call did it
        after = {"status": alert.status, "acknowledgedBy": actor}
        audit(
            store, actor, "acknowledgeAlert", "", None, after, (), (), [alert_id, alert.entity_id]
        )
    return alert


def deliveries(store: GraphStore, alert_ids: Sequence[str]) -> dict[str, list[DeliveryRecord]]:
    out: dict[str, list[DeliveryRecord]] = {a: [] for a in alert_ids}
    for row in store.read("alert_deliveries", ids=list(alert_ids)):
        out.setdefault(str(row["alertId"]), []).append(DeliveryRecord.from_props(row["delivery"]))
    return out
