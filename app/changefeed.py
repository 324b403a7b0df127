"""The change feed: what happened to profiles and households, for the systems that keep a
copy (a CRM, a campaign tool). Each change is a ChangeEvent node, queued for every webhook
named in IDGRAPH_CHANGE_WEBHOOKS and posted by the same durable, retrying worker as alerts
(app/alerts/delivery.py). With no webhook subscribed, nothing is recorded."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.settings import Settings
from app.store import GraphStore

GOLDEN = (
    "firstName",
    "lastName",
    "dateOfBirth",
    "email",
    "phone",
    "addressId",
    "street",
    "city",
    "postcode",
)


@dataclass
class FeedEvent:
    """One change: kind (profile.created, profile.merged, profile.split, profile.updated,
    household.changed), the entity, and what changed."""

    kind: str
    entity_id: str
    detail: dict[str, Any] = field(default_factory=dict)


def profile_changes(
    ids: Sequence[str],
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    absorbed: Mapping[str, list[str]],
    split_from: Mapping[str, list[str]],
    golden_before: Mapping[str, Mapping[str, Any]],
    golden_after: Sequence[Mapping[str, Any]],
) -> list[FeedEvent]:
    """What a placement did to profiles, from its clusters and ID assignment."""
    out: list[FeedEvent] = []
    old_ids = set(previous.values())
    for pid, members, gold in zip(ids, clusters, golden_after, strict=True):
        before_members = sorted(m for m, p in previous.items() if p == pid)
        golden = {
            f: {"from": golden_before.get(pid, {}).get(f), "to": gold.get(f)}
            for f in GOLDEN
            if pid in golden_before and golden_before[pid].get(f) != gold.get(f)
        }
        detail: dict[str, Any] = {"members": sorted(members)}
        if pid in absorbed:
            merged = {**detail, "absorbed": sorted(absorbed[pid]), "golden": golden}
            out.append(FeedEvent("profile.merged", pid, merged))
        elif pid in split_from:
            out.append(FeedEvent("profile.split", pid, {**detail, "splitFrom": split_from[pid]}))
        elif pid not in old_ids:
            out.append(FeedEvent("profile.created", pid, detail))
        elif golden or sorted(members) != before_members:
            out.append(FeedEvent("profile.updated", pid, {**detail, "golden": golden}))
    return out


def feed_wanted(settings: Settings) -> bool:
    """True when some webhook subscribes to changes."""
    return any(w in settings.webhooks for w in settings.change_webhooks)


def household_changes(membership_changes: Sequence[Mapping[str, Any]]) -> list[FeedEvent]:
    return [
        FeedEvent("household.changed", str(c["householdId"]), dict(c)) for c in membership_changes
    ]


def record(store: GraphStore, settings: Settings, changes: Sequence[FeedEvent]) -> int:
    """Queue the changes for the subscribed webhooks; the number recorded."""
    webhooks = [w for w in settings.change_webhooks if w in settings.webhooks]
    if not webhooks or not changes:
        return 0
    now = time.time()
    at = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = []
    for i, change in enumerate(changes):
        detail = json.dumps(change.detail, sort_keys=True, default=str)
        digest = hashlib.sha1(f"{now}|{i}|{change.kind}|{change.entity_id}|{detail}".encode())
        rows.append(
            {
                # in time, then creation order: deliveries go out in the order things happened
                "eventId": f"CE-{int(now * 1000):013d}-{i:06d}-{digest.hexdigest()[:8]}",
                "props": {
                    "kind": change.kind,
                    "entityId": change.entity_id,
                    "detail": detail,
                    "at": at,
                    "atMs": int(now * 1000),
                },
                "webhooks": webhooks,
            }
        )
    store.write_batches("change_record", rows, settings.batch_size)
    from app.alerts.engine import deliveries_queued

    deliveries_queued.set()
    return len(rows)


def payload(delivery_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """What a subscribed webhook receives for one change."""
    return {
        "deliveryId": delivery_id,
        "type": "change",
        "eventId": event.get("eventId"),
        "kind": event.get("kind"),
        "entityId": event.get("entityId"),
        "at": event.get("at"),
        "detail": json.loads(event.get("detail") or "{}"),
    }
