"""Steward decisions on pairs: persisted on the MATCHES edge (which re-runs respect),
audited, and appended to the training labels so the next `idgraph train` learns from them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Literal

import pandas as pd

from app.errors import InputError
from app.resolution.dial import follow
from app.resolution.model import Labels, model_records
from app.resolution.profiles import golden1, new_profile_id
from app.settings import Settings
from app.store import GraphStore

Decision = Literal["confirmed", "rejected"]


def decide(
    store: GraphStore,
    settings: Settings,
    a: str,
    b: str,
    status: Decision,
    actor: str,
    reason: str,
) -> dict[str, object]:
    """Confirm or reject that records a and b are the same person."""
    if not reason.strip():
        raise InputError("a steward decision needs a reason")
    if a == b:
        raise InputError("a record cannot be matched with itself")
    a, b = sorted((a, b))
    rows = store.read("customer_model_fields", ids=[a, b])
    if len(rows) != 2:
        found = {r["customerId"] for r in rows}
        raise InputError(f"no customer record {', '.join(x for x in (a, b) if x not in found)}")
    before = store.read_one("match_edge", a=a, b=b)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.write("set_match_decision", a=a, b=b, status=status, actor=actor, at=at, reason=reason)
    after = {"status": status, "method": "steward"}
    store.write(
        "record_audit",
        auditId=f"AU-{uuid.uuid4().hex[:16]}",
        at=at,
        actor=actor,
        action="confirmMatch" if status == "confirmed" else "rejectMatch",
        reason=reason,
        before=json.dumps(before),
        after=json.dumps(after),
        customerIds=[a, b],
    )
    _append_label(settings, rows, status)
    return {"a": a, "b": b, **after, "before": before}


def _append_label(settings: Settings, rows: list[dict[str, object]], status: Decision) -> None:
    path = settings.labels_file
    labels = Labels.load(path) if path.exists() else Labels()
    left, right = model_records(pd.DataFrame(rows).set_index("customerId"), name_frequency=False)
    (labels.match if status == "confirmed" else labels.distinct).append((left, right))
    labels.save(path)


def _audit(
    store: GraphStore, actor: str, action: str, reason: str, before: object, after: object,
    customer_ids: list[str],
) -> None:  # fmt: skip
    store.write(
        "record_audit",
        auditId=f"AU-{uuid.uuid4().hex[:16]}",
        at=_now(),
        actor=actor,
        action=action,
        reason=reason,
        before=json.dumps(before, default=str),
        after=json.dumps(after, default=str),
        customerIds=customer_ids,
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def refresh_profiles(store: GraphStore, settings: Settings, profile_ids: list[str]) -> None:
    """Recompute golden attributes and sizes of profiles whose members changed."""
    members: dict[str, list[dict[str, object]]] = {}
    for row in store.read("profile_members_fields", ids=profile_ids):
        members.setdefault(str(row["profileId"]), []).append(row)
    at = _now()
    out = []
    for pid, rows in members.items():
        props = golden1(rows)
        props.update(size=len(rows), sources=sorted({str(r["source"]) for r in rows}))
        out.append({"profileId": pid, "props": props, "at": at})
    if out:
        store.write_batches("upsert_profiles", out, settings.batch_size)


def merge_profiles(
    store: GraphStore, settings: Settings, profile_ids: list[str], actor: str, reason: str
) -> str:
    """The steward says these profiles are one person. The largest keeps its ID, the others
    point at it; confirmed edges between their records make re-runs keep them together."""
    if not reason.strip():
        raise InputError("a merge needs a reason")
    views = [follow(store, p) for p in dict.fromkeys(profile_ids)]
    missing = [p for p, v in zip(profile_ids, views, strict=False) if v is None]
    if missing:
        raise InputError(f"no profile {', '.join(missing)}")
    live = {str(v["profileId"]): v for v in views if v is not None}
    if len(live) < 2:
        raise InputError("give at least two different profiles to merge")
    ordered = sorted(live.values(), key=lambda v: (-len(v["members"]), v["profileId"]))
    kept, absorbed = ordered[0], ordered[1:]
    anchor = min(m["customerId"] for m in kept["members"])
    at = _now()
    for other in absorbed:
        other_anchor = min(m["customerId"] for m in other["members"])
        a, b = sorted((anchor, other_anchor))
        store.write("set_match_decision", a=a, b=b, status="confirmed", actor=actor, at=at,
                    reason=f"merge: {reason}")  # fmt: skip
    moved = [
        {"customerId": m["customerId"], "profileId": kept["profileId"], "confidence": 1.0}
        for other in absorbed
        for m in other["members"]
    ]
    store.write_batches("unlink_moved_customers", moved, settings.batch_size)
    store.write_batches("link_profiles", moved, settings.batch_size)
    store.write_batches(
        "retire_profiles",
        [{"profileId": o["profileId"], "successor": kept["profileId"], "at": at} for o in absorbed],
        settings.batch_size,
    )
    refresh_profiles(store, settings, [str(kept["profileId"])])
    store.write(
        "add_absorbed",
        profileId=kept["profileId"],
        absorbed=[str(o["profileId"]) for o in absorbed],
    )
    _audit(store, actor, "mergeProfiles", reason,
           {"profiles": sorted(live)}, {"profile": kept["profileId"]},
           [m["customerId"] for v in live.values() for m in v["members"]])  # fmt: skip
    return str(kept["profileId"])


def split_customer(
    store: GraphStore, settings: Settings, customer_id: str, actor: str, reason: str
) -> str:
    """Take one record out of its profile into a profile of its own. Its edges to the
    remaining members become rejected, so re-runs keep it apart."""
    if not reason.strip():
        raise InputError("a split needs a reason")
    rows = store.read("profile_memberships_of", ids=[customer_id])
    if not rows:
        raise InputError(f"customer {customer_id} is in no profile (run `idgraph resolve`)")
    old = str(rows[0]["profileId"])
    view = follow(store, old)
    others = [
        m["customerId"] for m in (view or {}).get("members", []) if m["customerId"] != customer_id
    ]
    if not others:
        raise InputError(f"customer {customer_id} is already alone in profile {old}")
    at = _now()
    for other in others:
        a, b = sorted((customer_id, other))
        store.write("set_match_decision", a=a, b=b, status="rejected", actor=actor, at=at,
                    reason=f"split: {reason}")  # fmt: skip
    new_id = new_profile_id([customer_id])
    store.write_batches(
        "upsert_profiles",
        [{"profileId": new_id, "props": {"splitFrom": [old]}, "at": at}],
        settings.batch_size,
    )
    link = [{"customerId": customer_id, "profileId": new_id, "confidence": 1.0}]
    store.write_batches("unlink_moved_customers", link, settings.batch_size)
    store.write_batches("link_profiles", link, settings.batch_size)
    refresh_profiles(store, settings, [old, new_id])
    _audit(store, actor, "splitCustomer", reason, {"profile": old}, {"profile": new_id},
           [customer_id, *others])  # fmt: skip
    return new_id
