"""Alert fixtures: settings with a rules file of the test's own, and a small graph of profiles
and households written with plain Cypher (no metrics code needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.metrics.changes import MetricChange, Value
from app.settings import Settings
from app.store import GraphStore

Rules = Callable[..., Settings]


@pytest.fixture
def rules(backend_settings: Settings, tmp_path: Path) -> Rules:
    """rules(yaml_text, **settings) -> Settings running exactly those rules."""

    def make(text: str, **overrides: Any) -> Settings:
        path = tmp_path / "rules.yaml"
        path.write_text(text, encoding="utf-8")
        # refresh 0: rules defined over GraphQL are re-read on every evaluation, so a test
        # never sees another test's rules on the shared store
        update = {"alert_rules_file": path, "alert_rules_refresh_s": 0.0, **overrides}
        return backend_settings.model_copy(update=update)

    return make


def profile(store: GraphStore, profile_id: str, **props: Any) -> str:
    store.run_text(
        "CREATE (p:Profile {profileId: $id}) SET p += $props",
        {"id": profile_id, "props": props},
        write=True,
    )
    return profile_id


def household(store: GraphStore, household_id: str, members: dict[str, str], **props: Any) -> str:
    """members: profileId -> role (decision_maker | member); the profiles must exist."""
    store.run_text(
        "CREATE (h:Household {householdId: $id}) SET h += $props",
        {"id": household_id, "props": props},
        write=True,
    )
    store.run_text(
        "UNWIND $rows AS row MATCH (p:Profile {profileId: row.p}), "
        "(h:Household {householdId: $id}) CREATE (p)-[:MEMBER_OF {role: row.role}]->(h)",
        {"id": household_id, "rows": [{"p": p, "role": r} for p, r in members.items()]},
        write=True,
    )
    return household_id


def change(
    metric: str,
    value: Value,
    previous: Value = None,
    entity: str = "PR-1",
    label: str = "Profile",
    history: tuple[Value, ...] = (),
    at: str = "2026-11-25T12:00:00Z",
) -> MetricChange:
    return MetricChange(label, entity, metric, previous, value, at, history)


def alerts_in_graph(store: GraphStore) -> list[dict[str, Any]]:
    rows, _ = store.run_text(
        "MATCH (a:Alert)-[:ABOUT]->(e) RETURN properties(a) AS alert, labels(e)[0] AS label, "
        "coalesce(e.profileId, e.householdId) AS about ORDER BY a.firedAtMs, a.alertId",
        write=False,
    )
    return [{**r["alert"], "aboutLabel": r["label"], "about": r["about"]} for r in rows]
