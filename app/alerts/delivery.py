"""Webhook delivery: post queued alerts as JSON, retry with exponential backoff, never drop.

A delivery is a WebhookDelivery node queued with its alert (engine.py). `deliver_due` takes
the due ones under a lease (so a server's worker and `idgraph deliver` do not both post one),
posts each, and records the outcome: delivered, or pending with attempts + 1 and the next
attempt at now + backoff * 2^(attempts - 1) (capped). Any failure (timeout, connection
error, a non-2xx answer, a webhook missing from the configuration) keeps it for retry.
Delivery is at least once: receivers deduplicate on the X-Idgraph-Delivery header."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.alerts.engine import deliveries_queued, iso, now_ms
from app.alerts.records import AlertRecord
from app.changefeed import payload as change_payload
from app.settings import Settings
from app.store import GraphStore

log = logging.getLogger(__name__)

CLAIM_BATCH = 50  # as in cypher/webhook_claim.cypher
DELIVERY_HEADER = "X-Idgraph-Delivery"
MAX_ERROR = 300


@dataclass
class DeliveryRound:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    deferred: int = 0  # not tried: their webhook had just timed out or refused a connection
    errors: list[str] = field(default_factory=list)


def backoff_ms(settings: Settings, attempts: int) -> int:
    """Wait before the next attempt after `attempts` failed ones."""
    seconds = settings.webhook_backoff_s * 2 ** max(attempts - 1, 0)
    return int(min(seconds, settings.webhook_max_backoff_s) * 1000)


def payload(delivery_id: str, alert: Mapping[str, Any]) -> dict[str, Any]:
    return {"deliveryId": delivery_id, **AlertRecord.from_props(alert).payload()}


def _post(client: httpx.Client, url: str, delivery_id: str, body: dict[str, Any]) -> str | None:
    """None when delivered, else why not."""
    response = client.post(url, json=body, headers={DELIVERY_HEADER: delivery_id})
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:100]}"


def deliver_due(
    store: GraphStore, settings: Settings, client: httpx.Client, now: int | None = None
) -> DeliveryRound:
    """One round: claim due deliveries (at most CLAIM_BATCH), post them, record outcomes."""
    start = now if now is not None else now_ms()
    lease = start + int((settings.webhook_timeout_s * CLAIM_BATCH + 30) * 1000)
    rows, _ = store.run_text(
        store.cypher("webhook_claim"), {"now": start, "leaseUntil": lease}, write=True
    )
    result = DeliveryRound(claimed=len(rows))
    down: dict[str, tuple[int, str]] = {}  # webhook -> (next attempt ms, error) this round
    outcomes: list[dict[str, Any]] = []
    for row in rows:
        delivery_id, webhook = str(row["deliveryId"]), str(row["webhook"])
        attempts = int(row["attempts"] or 0)
        at = now if now is not None else now_ms()
        if webhook in down:  # keep its attempts; try again when the failed one is retried
            next_ms, why = down[webhook]
            outcomes.append(_pending(delivery_id, attempts, next_ms, at, why))
            result.deferred += 1
            continue
        url = settings.webhooks.get(webhook)
        error: str | None
        endpoint_down = False
        if url is None:
            error = f"webhook {webhook!r} is not configured (IDGRAPH_WEBHOOKS)"
        else:
            try:
                body = (
                    change_payload(delivery_id, row["alert"])
                    if row.get("kind") == "ChangeEvent"
                    else payload(delivery_id, row["alert"])
                )
                error = _post(client, url, delivery_id, body)
            except httpx.TimeoutException as exc:
                error, endpoint_down = f"timeout after {settings.webhook_timeout_s}s: {exc}", True
            except httpx.TransportError as exc:
                error, endpoint_down = f"{type(exc).__name__}: {exc}", True
            except Exception as exc:  # a malformed URL and the like: kept, and said why
                error, endpoint_down = f"{type(exc).__name__}: {exc}", True
        if error is None:
            outcomes.append(
                {
                    "deliveryId": delivery_id,
                    "status": "delivered",
                    "attempts": attempts + 1,
                    "nextAttemptMs": None,
                    "nextAttemptAt": None,
                    "lastAttemptAt": iso(at),
                    "lastError": None,
                    "deliveredAt": iso(at),
                }
            )
            result.delivered += 1
            continue
        why = error[:MAX_ERROR]
        next_ms = at + backoff_ms(settings, attempts + 1)
        outcomes.append(_pending(delivery_id, attempts + 1, next_ms, at, why))
        result.failed += 1
        result.errors.append(f"{delivery_id}: {why}")
        log.warning("webhook %s: delivery %s failed: %s", webhook, delivery_id, why)
        if endpoint_down:
            down[webhook] = (next_ms, why)
    if outcomes:
        store.write("webhook_results", rows=outcomes)
    return result


def _pending(delivery_id: str, attempts: int, next_ms: int, at: int, error: str) -> dict[str, Any]:
    return {
        "deliveryId": delivery_id,
        "status": "pending",
        "attempts": attempts,
        "nextAttemptMs": next_ms,
        "nextAttemptAt": iso(next_ms),
        "lastAttemptAt": iso(at),
        "lastError": error,
        "deliveredAt": None,
    }


def http_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=settings.webhook_timeout_s,
        headers={"User-Agent": "identity-graph-alerts/1", "Content-Type": "application/json"},
        follow_redirects=False,
    )


class DeliveryWorker:
    """A background thread running delivery rounds: at once when this process queued a
    delivery, else every webhook_poll_s (for retries and other processes' alerts)."""

    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DeliveryWorker:
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        deliveries_queued.set()  # wake it
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout_s + 5)

    def _run(self) -> None:
        with http_client(self.settings) as client:
            while not self._stop.is_set():
                deliveries_queued.clear()
                try:
                    done = deliver_due(self.store, self.settings, client)
                except Exception:  # keep delivering after a store hiccup; it is logged
                    log.exception("webhook delivery round failed")
                    done = DeliveryRound()
                if done.claimed < CLAIM_BATCH:  # a full batch: more may be due right away
                    deliveries_queued.wait(self.settings.webhook_poll_s)


def start_delivery_worker(store: GraphStore, settings: Settings) -> DeliveryWorker | None:
    """The web app's worker; none when no webhook is configured."""
    if not settings.webhooks:
        return None
    return DeliveryWorker(store, settings).start()
