"""Two writers at once (two API replicas, or the API and `idgraph metrics` / `idgraph deliver`)
against the same alerts and deliveries: exactly one alert per rule and entity in its
cooldown, and each delivery posted once. Each writer is a thread with its own transactions.

On Neo4j (read committed) the fire and claim queries are safe because each writes the
entity or delivery before reading it again (cypher/alert_fire_*.cypher, webhook_claim.cypher).
FalkorDB runs one write query at a time and the ArcadeDB stand-in refuses the second of two
conflicting commits, so there these tests pass for those engines' own reasons too."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.alerts import evaluate_changes
from app.alerts.delivery import deliver_due, http_client
from app.settings import Settings
from app.store import GraphStore
from tests.alerts.conftest import Rules, change, household, profile
from tests.alerts.receiver import receiver

SPEND = """
rules:
  - name: big-spender
    metric: spend_90d
    condition: above
    threshold: 1000
    cooldown: 1h
    message: Thank them.
  - name: over-plan
    metric: data_usage_plan_ratio
    label: Household
    condition: above
    threshold: 1.0
    cooldown: 1h
    message: Suggest a larger plan.
"""
PROFILES = 200
HOUSEHOLDS = 40


def _together(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, released at the same instant; their results."""
    start = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _counts(store: GraphStore) -> tuple[Counter[str], Counter[str]]:
    """Alerts per cooldown key (rule and entity), deliveries per delivery id."""
    rows, _ = store.run_text(
        "MATCH (a:Alert) RETURN a.cooldownKey AS key, "
        "[(d:WebhookDelivery)-[:FOR]->(a) | d.deliveryId] AS deliveries",
        write=False,
    )
    alerts = Counter(str(r["key"]) for r in rows)
    deliveries = Counter(str(d) for r in rows for d in r["deliveries"])
    return alerts, deliveries


def test_two_writers_fire_one_alert_per_entity_and_queue_one_delivery_each(
    store: GraphStore, rules: Rules
) -> None:
    settings = rules(SPEND, webhooks={"crm": "http://127.0.0.1:9/a", "bi": "http://127.0.0.1:9/b"})
    for i in range(PROFILES):
        profile(store, f"PR-{i:03d}")
    for i in range(HOUSEHOLDS):
        household(store, f"HH-{i:03d}", {f"PR-{i:03d}": "decision_maker"})
    changes = [change("spend_90d", 1500.0, 900.0, f"PR-{i:03d}") for i in range(PROFILES)] + [
        change("data_usage_plan_ratio", 1.3, 0.8, f"HH-{i:03d}", "Household")
        for i in range(HOUSEHOLDS)
    ]
    first, second = _together(
        lambda: evaluate_changes(store, settings, changes),
        lambda: evaluate_changes(store, settings, changes),
    )
    fired = [a.entity_id for a in first] + [a.entity_id for a in second]
    assert sorted(fired) == sorted(c.entity_id for c in changes)  # each entity once, in all
    alerts, deliveries = _counts(store)
    assert len(alerts) == PROFILES + HOUSEHOLDS
    assert set(alerts.values()) == {1}
    assert len(deliveries) == 2 * (PROFILES + HOUSEHOLDS)
    assert set(deliveries.values()) == {1}


def test_two_delivery_workers_post_each_delivery_once(store: GraphStore, rules: Rules) -> None:
    with receiver() as hook:
        settings: Settings = rules(SPEND, webhooks={"crm": hook.url})
        for i in range(HOUSEHOLDS):  # fewer than one claim batch: both workers see all
            profile(store, f"PR-{i:03d}")
        changes = [change("spend_90d", 1500.0, 900.0, f"PR-{i:03d}") for i in range(HOUSEHOLDS)]
        evaluate_changes(store, settings, changes)
        with http_client(settings) as one, http_client(settings) as two:
            rounds = _together(
                lambda: deliver_due(store, settings, one),
                lambda: deliver_due(store, settings, two),
            )
        posted = Counter(body["deliveryId"] for body in hook.bodies())
    assert sum(r.claimed for r in rounds) == HOUSEHOLDS
    assert len(posted) == HOUSEHOLDS and set(posted.values()) == {1}
