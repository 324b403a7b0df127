"""Steward decisions on pairs and profiles: persisted on the MATCHES edges (which every
re-run keeps as constraints), audited, and applied at once by re-placing the component
they touch with the same clustering and ID rule as batch (app/resolution/placement.py).
At the next `idgraph train` they are labelled pairs (app/resolution/labels.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from app.errors import InputError
from app.resolution.cluster import missing_pairs, score_pairs
from app.resolution.component import read_component
from app.resolution.dial import follow
from app.resolution.model import MatchModel, probability
from app.resolution.placement import Placement, now_iso, place
from app.settings import Settings
from app.store import GraphStore

Decision = Literal["confirmed", "rejected"]


@dataclass
class Change:
    """What a steward's action did to profiles."""

    profile_ids: list[str] = field(default_factory=list)  # live profiles it touched
    retired: list[str] = field(default_factory=list)
    placement: Placement | None = None


def audit(
    store: GraphStore,
    actor: str,
    action: str,
    reason: str,
    before: object,
    after: object,
    customer_ids: list[str],
    profile_ids: Sequence[str] = (),
) -> None:
    """An AuditEvent with CONCERNS edges to the records (and profiles) it is about."""
    store.write(
        "record_audit",
        auditId=f"AU-{uuid.uuid4().hex[:16]}",
        at=now_iso(),
        actor=actor,
        action=action,
        reason=reason,
        before=json.dumps(before, default=str),
        after=json.dumps(after, default=str),
        customerIds=customer_ids,
        profileIds=list(profile_ids),
    )


def replace(
    store: GraphStore, settings: Settings, seeds: list[str], model: MatchModel | None = None
) -> Change:
    """Re-place the component around `seeds` after a decision changed it: the clusters and
    IDs batch would give. With the model, pairs the decision brought into one component
    that were never scored are scored first, as batch does."""
    comp = read_component(store, settings, seeds)
    left, right, prob = comp.left, comp.right, comp.prob
    if model is not None:
        n = len(comp.records)
        more_left, more_right = missing_pairs(
            n, left, right, prob, settings.match_floor, comp.sparse, settings.component_cap
        )
        if len(more_left):
            from app.resolution.batch import DECIMALS

            _, logits = score_pairs(model, comp.cols, more_left, more_right, workers=1)
            left, right = np.r_[left, more_left], np.r_[right, more_right]
            prob = np.r_[prob, np.round(probability(logits), DECIMALS)]
    placement = place(
        store,
        settings,
        comp.records,
        left,
        right,
        prob,
        sparse=comp.sparse,
        decisions=comp.decisions,
        previous=comp.previous,
        created=comp.created,
    )
    touched = sorted(
        {placement.profile_of[c] for c in placement.ids}
        | {comp.previous[c] for c in placement.ids if c in comp.previous}
        - set(placement.assignment.retired)
    )
    return Change(touched, sorted(placement.assignment.retired), placement)


def _check(a: str, b: str, reason: str) -> None:
    if not reason.strip():
        raise InputError("a steward decision needs a reason")
    if a == b:
        raise InputError("a record cannot be matched with itself")


def decide(
    store: GraphStore,
    settings: Settings,
    a: str,
    b: str,
    status: Decision,
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> tuple[dict[str, object], Change]:
    """Confirm or reject that records a and b are the same person, and apply it."""
    _check(a, b, reason)
    a, b = sorted((a, b))
    rows = store.read("customer_model_fields", ids=[a, b])
    if len(rows) != 2:
        found = {r["customerId"] for r in rows}
        raise InputError(f"no customer record {', '.join(x for x in (a, b) if x not in found)}")
    before = store.read_one("match_edge", a=a, b=b)
    store.write(
        "set_match_decision", a=a, b=b, status=status, actor=actor, at=now_iso(), reason=reason
    )
    after = {"status": status, "method": "steward"}
    audit(
        store,
        actor,
        "confirmMatch" if status == "confirmed" else "rejectMatch",
        reason,
        before,
        after,
        [a, b],
    )
    return {"a": a, "b": b, **after, "before": before}, replace(store, settings, [a, b], model)


def merge_profiles(
    store: GraphStore,
    settings: Settings,
    profile_ids: list[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> tuple[str, Change]:
    """The steward says these profiles are one person: every record is confirmed with one
    anchor record (so all are one person, whatever the model scores), earlier rejections
    between them are overridden, and the component is re-placed: by the ID rule the larger
    (then older) profile keeps its ID."""
    if not reason.strip():
        raise InputError("a merge needs a reason")
    views = [follow(store, p) for p in dict.fromkeys(profile_ids)]
    missing = [p for p, v in zip(dict.fromkeys(profile_ids), views, strict=True) if v is None]
    if missing:
        raise InputError(f"no profile {', '.join(missing)}")
    live = {str(v["profileId"]): v for v in views if v is not None}
    if len(live) < 2:
        raise InputError("give at least two different profiles to merge")
    groups = [sorted(m["customerId"] for m in v["members"]) for v in live.values()]
    anchors = [g[0] for g in groups if g]
    at = now_iso()
    members = [m for g in groups for m in g]
    store.write("override_rejections", ids=members, actor=actor, at=at, reason=f"merge: {reason}")
    for other in members:
        if other == anchors[0]:
            continue
        a, b = sorted((anchors[0], other))
        store.write(
            "set_match_decision",
            a=a,
            b=b,
            status="confirmed",
            actor=actor,
            at=at,
            reason=f"merge: {reason}",
        )
    change = replace(store, settings, members, model)
    assert change.placement is not None
    kept = change.placement.profile_of[anchors[0]]
    audit(
        store,
        actor,
        "mergeProfiles",
        reason,
        {"profiles": sorted(live)},
        {"profile": kept},
        members,
    )
    return kept, change


def split_customer(
    store: GraphStore,
    settings: Settings,
    customer_id: str,
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> tuple[str, str, Change]:
    """Take one record out of its profile: its pairs with the remaining members become
    rejected, so it leaves now and re-runs keep it apart. Returns (its new profile, the
    profile it left, what changed)."""
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
    at = now_iso()
    for other in others:
        a, b = sorted((customer_id, other))
        store.write(
            "set_match_decision",
            a=a,
            b=b,
            status="rejected",
            actor=actor,
            at=at,
            reason=f"split: {reason}",
        )
    change = replace(store, settings, [customer_id, *others], model)
    assert change.placement is not None
    new_id = change.placement.profile_of[customer_id]
    remaining = change.placement.profile_of[others[0]]
    audit(
        store,
        actor,
        "splitCustomer",
        reason,
        {"profile": old},
        {"profile": new_id},
        [customer_id, *others],
    )
    return new_id, remaining, change
