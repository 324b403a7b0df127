"""Webhook delivery to a real local HTTP server: delivered once, retried with backoff after a
500, a timeout or a refused connection, never dropped, and never in the caller's way."""

from __future__ import annotations

import socket
import time

from app.alerts import evaluate_changes
from app.alerts.delivery import (
    DELIVERY_HEADER,
    DeliveryWorker,
    backoff_ms,
    deliver_due,
    http_client,
)
from app.alerts.engine import now_ms
from app.settings import Settings
from app.store import GraphStore
from tests.alerts.conftest import Rules, change, household, profile
from tests.alerts.receiver import receiver

PLAN = """
rules:
  - name: over-plan
    metric: data_usage_plan_ratio
    label: Household
    condition: above
    threshold: 1.0
    cooldown: 0
    message: Suggest a larger plan.
"""
USAGE = "data_usage_plan_ratio"


def _deliveries(store: GraphStore) -> list[dict]:
    rows, _ = store.run_text(
        "MATCH (d:WebhookDelivery)-[:FOR]->(a:Alert) RETURN properties(d) AS d ORDER BY "
        "d.deliveryId",
        write=False,
    )
    return [r["d"] for r in rows]


def _households(store: GraphStore, n: int) -> list[str]:
    ids = []
    for i in range(n):
        profile(store, f"PR-{i}")
        ids.append(household(store, f"HH-{i}", {f"PR-{i}": "decision_maker"}))
    return ids


def _fire(store: GraphStore, settings: Settings, households: list[str]) -> list[str]:
    changes = [change(USAGE, 1.4, 0.9, h, "Household") for h in households]
    return [a.alert_id for a in evaluate_changes(store, settings, changes)]


def test_backoff_doubles_up_to_the_cap(backend_settings: Settings):
    s = backend_settings.model_copy(update={"webhook_backoff_s": 2, "webhook_max_backoff_s": 60})
    assert [backoff_ms(s, n) for n in (1, 2, 3, 4, 5, 6, 7)] == [
        2000,
        4000,
        8000,
        16000,
        32000,
        60000,
        60000,
    ]


def test_an_alert_is_posted_once_as_json_with_the_decision_maker(store, rules: Rules):
    with receiver() as hook:
        settings = rules(PLAN, webhooks={"crm": hook.url})
        [hh] = _households(store, 1)
        [alert_id] = _fire(store, settings, [hh])
        with http_client(settings) as client:
            first = deliver_due(store, settings, client)
            again = deliver_due(store, settings, client, now=now_ms() + 10**9)
        assert (first.claimed, first.delivered, again.claimed) == (1, 1, 0)
        [got] = hook.received
    assert got.body["alertId"] == alert_id
    assert got.body["deliveryId"] == got.headers[DELIVERY_HEADER] == f"{alert_id}/crm"
    assert got.body["rule"] == "over-plan"
    assert got.body["label"] == "Household"
    assert got.body["entityId"] == hh
    assert got.body["decisionMakerId"] == "PR-0"
    assert got.body["value"] == 1.4 and got.body["threshold"] == 1.0
    assert got.body["message"] == "Suggest a larger plan."
    [d] = _deliveries(store)
    assert (d["status"], d["attempts"]) == ("delivered", 1)
    assert d["deliveredAt"].endswith("Z")


def test_a_500_is_retried_after_the_backoff_and_then_delivered(store, rules: Rules):
    with receiver() as hook:
        hook.script = [(500, 0.0)]
        settings = rules(PLAN, webhooks={"crm": hook.url}, webhook_backoff_s=30)
        [hh] = _households(store, 1)
        _fire(store, settings, [hh])
        t = now_ms()
        with http_client(settings) as client:
            failed = deliver_due(store, settings, client, now=t)
            [d] = _deliveries(store)
            assert (failed.failed, d["status"], d["attempts"]) == (1, "pending", 1)
            assert d["lastError"].startswith("HTTP 500")
            assert d["nextAttemptMs"] == t + 30_000
            early = deliver_due(store, settings, client, now=t + 29_999)
            later = deliver_due(store, settings, client, now=t + 30_000)
        assert (early.claimed, later.delivered) == (0, 1)
        assert len(hook.received) == 2
        assert hook.received[0].body == hook.received[1].body
    [d] = _deliveries(store)
    assert (d["status"], d["attempts"]) == ("delivered", 2)


def test_a_timeout_keeps_the_webhooks_deliveries_for_retry(store, rules: Rules):
    with receiver() as hook:
        hook.script = [(200, 1.0)]  # answers too late
        settings = rules(
            PLAN, webhooks={"crm": hook.url}, webhook_timeout_s=0.2, webhook_backoff_s=1
        )
        _fire(store, settings, _households(store, 3))
        t = now_ms()
        with http_client(settings) as client:
            slow = deliver_due(store, settings, client, now=t)
            # one timed out; the other two were not tried (the endpoint was down this round)
            assert (slow.claimed, slow.failed, slow.deferred) == (3, 1, 2)
            assert "timeout" in slow.errors[0]
            pending = _deliveries(store)
            assert [d["status"] for d in pending] == ["pending"] * 3
            assert sorted(d["attempts"] for d in pending) == [0, 0, 1]
            assert {d["nextAttemptMs"] for d in pending} == {t + 1000}
            retried = deliver_due(store, settings, client, now=t + 1000)
        assert retried.delivered == 3
    assert [d["status"] for d in _deliveries(store)] == ["delivered"] * 3


def test_a_refused_connection_or_an_unknown_webhook_is_kept_for_retry(store, rules: Rules):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    hooks = {"crm": closed, "gone": "http://127.0.0.1:9/x", "typo": "htp:/nowhere"}
    settings = rules(PLAN, webhooks=hooks)
    _fire(store, settings, _households(store, 1))
    without_gone = settings.model_copy(update={"webhooks": {"crm": closed, "typo": hooks["typo"]}})
    with http_client(settings) as client:
        result = deliver_due(store, without_gone, client)
    assert (result.claimed, result.failed) == (3, 3)
    by_hook = {d["webhook"]: d for d in _deliveries(store)}
    assert "ConnectError" in by_hook["crm"]["lastError"]
    assert "'gone' is not configured" in by_hook["gone"]["lastError"]
    assert "UnsupportedProtocol" in by_hook["typo"]["lastError"]
    assert all(d["status"] == "pending" and d["attempts"] == 1 for d in by_hook.values())


def test_a_claimed_delivery_is_not_taken_by_a_second_worker(store, rules: Rules):
    with receiver() as hook:
        settings = rules(PLAN, webhooks={"crm": hook.url})
        _fire(store, settings, _households(store, 1))
        t = now_ms()
        rows, _ = store.run_text(
            store.cypher("webhook_claim"), {"now": t, "leaseUntil": t + 60_000}, write=True
        )
        assert len(rows) == 1
        with http_client(settings) as client:
            assert deliver_due(store, settings, client, now=t + 1).claimed == 0
            assert deliver_due(store, settings, client, now=t + 60_000).delivered == 1


def test_a_slow_webhook_does_not_slow_evaluation_and_nothing_is_dropped(store, rules: Rules):
    with receiver() as hook:
        hook.delay = 2.0  # every answer comes after the client's timeout
        settings = rules(
            PLAN,
            webhooks={"crm": hook.url},
            webhook_timeout_s=1.0,
            webhook_backoff_s=0.1,
            webhook_max_backoff_s=0.4,
            webhook_poll_s=0.05,
        )
        households = _households(store, 6)
        worker = DeliveryWorker(store, settings).start()
        try:
            _fire(store, settings, households[:1])  # the worker starts posting (slowly)
            time.sleep(0.2)
            seconds = []
            for hh in households[1:]:
                t0 = time.perf_counter()
                assert len(_fire(store, settings, [hh])) == 1
                seconds.append(time.perf_counter() - t0)
            assert max(seconds) < 0.5, seconds  # the webhook takes 2 s, its timeout is 1 s
            assert len(hook.received) < 6  # the webhook has not had them all yet
            hook.delay = 0.0  # the webhook recovers
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if all(d["status"] == "delivered" for d in _deliveries(store)):
                    break
                time.sleep(0.1)
        finally:
            worker.stop()
        delivered = {b["alertId"] for b in hook.bodies()}
    assert [d["status"] for d in _deliveries(store)] == ["delivered"] * 6
    assert len(delivered) == 6
