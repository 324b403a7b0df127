"""Alerts: rules over metric changes (YAML and GraphQL), Alert nodes, webhook delivery.

The pipeline hands metric changes to `evaluate_changes`; docs/alerts.md has the design."""

from app.alerts.engine import evaluate_changes, watched_metrics
from app.alerts.records import AlertRecord
from app.alerts.rules import AlertRule, AlertRuleError

__all__ = ["AlertRecord", "AlertRule", "AlertRuleError", "evaluate_changes", "watched_metrics"]
