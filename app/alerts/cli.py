"""The `idgraph alerts` and `idgraph deliver` commands' work (app/cli.py only parses options)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from app.alerts.delivery import CLAIM_BATCH, DeliveryRound, deliver_due, http_client
from app.alerts.manage import deliveries, list_alerts
from app.settings import Settings
from app.store import GraphStore


def print_alerts(store: GraphStore, status: str | None, entity: str | None, limit: int) -> None:
    page = list_alerts(store, status, entity, max(limit, 0))
    sent = deliveries(store, [a.alert_id for a in page.items])
    table = Table("fired", "alert", "rule", "about", "value", "threshold", "status", "webhooks")
    for a in page.items:
        hooks = ", ".join(f"{d.webhook}:{d.status}" for d in sent.get(a.alert_id, []))
        about = a.entity_id + (f" (to {a.decision_maker_id})" if a.decision_maker_id else "")
        table.add_row(
            a.fired_at,
            a.alert_id,
            a.rule,
            f"{a.label} {about}",
            f"{a.metric}={a.value}",
            f"{a.condition} {a.threshold:g}",
            a.status,
            hooks or "-",
        )
    Console().print(table)
    if page.has_next:
        Console(stderr=True).print(f"(newest {limit} shown; --limit for more)")


def run_deliveries(store: GraphStore, settings: Settings, console: Console, loop: bool) -> None:
    """Deliver what is due now (rounds until none is left), or keep polling with loop."""
    total = DeliveryRound()
    with http_client(settings) as client:
        try:
            while True:
                done = deliver_due(store, settings, client)
                total.claimed += done.claimed
                total.delivered += done.delivered
                total.failed += done.failed
                total.deferred += done.deferred
                for error in done.errors:
                    console.print(f"[yellow]kept for retry[/yellow] {error}")
                if done.claimed >= CLAIM_BATCH:
                    continue
                if not loop:
                    break
                time.sleep(settings.webhook_poll_s)
        except KeyboardInterrupt:
            pass
    counts = {str(r["status"]): int(r["n"]) for r in store.read("webhook_counts")}
    console.print(
        f"delivered {total.delivered}, failed {total.failed} (kept for retry), "
        f"not tried {total.deferred}; now pending {counts.get('pending', 0)}, "
        f"delivered in all {counts.get('delivered', 0)}"
    )
