"""Fired alerts and their webhook deliveries as plain records (built from node properties)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.metrics.changes import Value


def _float(value: Any) -> float | None:
    return None if value is None or isinstance(value, bool) else float(value)


@dataclass(frozen=True)
class AlertRecord:
    alert_id: str
    rule: str
    label: str  # Profile or Household
    entity_id: str
    metric: str
    value: Value
    previous: Value
    threshold: float
    condition: str
    direction: str
    periods: int
    message: str
    fired_at: str  # ISO 8601 UTC
    fired_at_ms: int
    observed_at: str  # the metric change's time
    status: str = "open"  # open | acknowledged
    decision_maker_id: str | None = None  # households: the profile the alert is addressed to
    cause: str = "data"  # what changed the metric: data, or identity (rules that ask for it)
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None

    def props(self) -> dict[str, Any]:
        """The Alert node's properties (camelCase), without alertId."""
        return {
            "rule": self.rule,
            "label": self.label,
            "entityId": self.entity_id,
            "metric": self.metric,
            "value": self.value,
            "previous": self.previous,
            "threshold": self.threshold,
            "condition": self.condition,
            "direction": self.direction,
            "periods": self.periods,
            "message": self.message,
            "firedAt": self.fired_at,
            "firedAtMs": self.fired_at_ms,
            "observedAt": self.observed_at,
            "status": self.status,
            "cause": self.cause,
        }

    def payload(self) -> dict[str, Any]:
        """What a webhook receives (plus deliveryId, added by the worker)."""
        return {
            "alertId": self.alert_id,
            **self.props(),
            "decisionMakerId": self.decision_maker_id,
        }

    @classmethod
    def from_props(cls, p: Mapping[str, Any]) -> AlertRecord:
        return cls(
            alert_id=str(p["alertId"]),
            rule=str(p.get("rule", "")),
            label=str(p.get("label", "")),
            entity_id=str(p.get("entityId", "")),
            metric=str(p.get("metric", "")),
            value=p.get("value"),
            previous=p.get("previous"),
            threshold=_float(p.get("threshold")) or 0.0,
            condition=str(p.get("condition", "")),
            direction=str(p.get("direction", "any")),
            periods=int(p.get("periods") or 1),
            message=str(p.get("message") or ""),
            fired_at=str(p.get("firedAt", "")),
            fired_at_ms=int(p.get("firedAtMs") or 0),
            observed_at=str(p.get("observedAt", "")),
            status=str(p.get("status", "open")),
            decision_maker_id=p.get("decisionMakerId"),
            acknowledged_by=p.get("acknowledgedBy"),
            acknowledged_at=p.get("acknowledgedAt"),
            cause=str(p.get("cause") or "data"),
        )


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: str
    alert_id: str
    webhook: str
    status: str  # pending | delivered
    attempts: int
    next_attempt_at: str | None
    last_attempt_at: str | None
    last_error: str | None
    delivered_at: str | None

    @classmethod
    def from_props(cls, p: Mapping[str, Any]) -> DeliveryRecord:
        return cls(
            delivery_id=str(p["deliveryId"]),
            alert_id=str(p.get("alertId", "")),
            webhook=str(p.get("webhook", "")),
            status=str(p.get("status", "pending")),
            attempts=int(p.get("attempts") or 0),
            next_attempt_at=p.get("nextAttemptAt"),
            last_attempt_at=p.get("lastAttemptAt"),
            last_error=p.get("lastError"),
            delivered_at=p.get("deliveredAt"),
        )
