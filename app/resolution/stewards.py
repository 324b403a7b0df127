"""Steward decisions on pairs and profiles: persisted on the MATCHES edges (which every
re-run keeps as constraints), audited, and applied at once by re-placing the component
they touch with the same clustering and ID rule as batch (app/resolution/placement.py).
At the next `idgraph train` they are labelled pairs (app/resolution/labels.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.audit import record as audit
from app.errors import InputError
from app.resolution.component import read_component, scored_pairs
from app.resolution.dial import follow
from app.resolution.model import MatchModel
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
    audit_id: str | None = None  # the decision's audit event: the cause of what follows


def replace(
    store: GraphStore, settings: Settings, seeds: list[str], model: MatchModel | None = None
) -> Change:
    """Re-place the component around `seeds` after a decision changed it: the clusters and
    IDs batch would give. With the model, pairs the decision brought into one component
    that were never scored are scored first, as batch does."""
    comp = read_component(store, settings, seeds, common=model.common if model else None)
    left, right, prob, against = scored_pairs(comp, settings, model)
    placement = place(
        store,
        settings,
        comp.rows,
        left,
        right,
        prob,
        sparse=comp.sparse,
        against=against,
        decisions=comp.decisions,
        previous=comp.previous,
        created=comp.created,
        exclusive=comp.exclusive(model, settings),
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


@dataclass(frozen=True)
class PairDecision:
    """A steward's decision on a pair of records, as stored on their MATCHES edge."""

    a: str  # the smaller customerId
    b: str
    status: Decision
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return (self.a, self.b)

    def describe(self) -> str:
        verb = "confirmed as one person" if self.status == "confirmed" else "rejected"
        by = f" by {self.decided_by}" if self.decided_by else ""
        at = f" at {self.decided_at}" if self.decided_at else ""
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.a} and {self.b} {verb}{by}{at}{why}"


def ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def decisions_around(store: GraphStore, ids: Sequence[str]) -> dict[tuple[str, str], PairDecision]:
    """Every decision on a pair with a record in `ids` or in a record's confirmed group (the
    records confirmed with it, directly or through other confirmations)."""
    out: dict[tuple[str, str], PairDecision] = {}
    seen = set(ids)
    frontier = sorted(seen)
    while frontier:
        rows = store.read("decisions_of", ids=frontier)
        frontier = []
        for r in rows:
            a, b = ordered(str(r["a"]), str(r["b"]))
            out[(a, b)] = PairDecision(
                a, b, r["status"], r["decidedBy"], r["decidedAt"], r["reason"]
            )
            if r["status"] == "confirmed" and str(r["b"]) not in seen:
                seen.add(str(r["b"]))
                frontier.append(str(r["b"]))
    return out


def _confirmed_graph(decisions: Iterable[PairDecision]) -> dict[str, list[PairDecision]]:
    graph: dict[str, list[PairDecision]] = {}
    for d in decisions:
        if d.status == "confirmed":
            graph.setdefault(d.a, []).append(d)
            graph.setdefault(d.b, []).append(d)
    return graph


def _path(graph: dict[str, list[PairDecision]], start: str, goal: str) -> list[PairDecision] | None:
    """The confirmations that join `start` to `goal` (fewest), or None."""
    via: dict[str, PairDecision | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = []
            while (step := via[node]) is not None:
                path.append(step)
                node = step.a if step.b == node else step.b
            return path[::-1]
        for d in graph.get(node, []):
            other = d.b if d.a == node else d.a
            if other not in via:
                via[other] = d
                queue.append(other)
    return None


def _group(graph: dict[str, list[PairDecision]], start: str) -> set[str]:
    seen, queue = {start}, [start]
    for node in queue:
        for d in graph.get(node, []):
            for other in (d.a, d.b):
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
    return seen


def conflicts(
    decisions: Mapping[tuple[str, str], PairDecision], new: PairDecision
) -> list[PairDecision]:
    """The decisions `new` contradicts once it replaces any earlier decision on its own pair
    (the latest decision about a pair wins): a confirmation joining two records' confirmed
    groups contradicts a rejection between them; a rejection contradicts the confirmations
    that make its two records one person through others."""
    others = [d for k, d in decisions.items() if k != new.pair]
    graph = _confirmed_graph(others)
    if new.status == "rejected":
        return _path(graph, new.a, new.b) or []
    left, right = _group(graph, new.a), _group(graph, new.b)
    return [
        d
        for d in others
        if d.status == "rejected"
        and ((d.a in left and d.b in right) or (d.a in right and d.b in left))
    ]


def refuse_conflicts(new: PairDecision, found: list[PairDecision]) -> None:
    if found:
        verb = "confirm" if new.status == "confirmed" else "reject"
        raise InputError(
            f"cannot {verb} {new.a} and {new.b}: it contradicts "
            + "; ".join(d.describe() for d in found)
            + ". Change that decision first (or merge or split their profiles, which "
            "override earlier decisions between the records they name)"
        )


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
    """Confirm or reject that records a and b are the same person, and apply it. The latest
    decision about a pair replaces the earlier one; one that contradicts decisions on other
    pairs is refused, naming them."""
    _check(a, b, reason)
    a, b = ordered(a, b)
    rows = store.read("customer_model_fields", ids=[a, b])
    if len(rows) != 2:
        found = {r["customerId"] for r in rows}
        raise InputError(f"no customer record {', '.join(x for x in (a, b) if x not in found)}")
    at = now_iso()
    new = PairDecision(a, b, status, actor, at, reason)
    refuse_conflicts(new, conflicts(decisions_around(store, [a, b]), new))
    before = store.read_one("match_edge", a=a, b=b)
    _set(store, new)
    after = {"status": status, "method": "steward"}
    audit_id = audit(
        store,
        actor,
        "confirmMatch" if status == "confirmed" else "rejectMatch",
        reason,
        before,
        after,
        [a, b],
    )
    change = replace(store, settings, [a, b], model)
    change.audit_id = audit_id
    return {"a": a, "b": b, **after, "before": before}, change


def _set(store: GraphStore, d: PairDecision) -> None:
    store.write(
        "set_match_decision",
        a=d.a,
        b=d.b,
        status=d.status,
        actor=d.decided_by,
        at=d.decided_at,
        reason=d.reason,
    )


def _confirm_together(
    store: GraphStore, members: Sequence[str], actor: str, at: str, reason: str
) -> None:
    """Make `members` one person: earlier rejections among them are overridden and each is
    confirmed with the first (the anchor)."""
    if len(members) < 2:
        return
    store.write("override_rejections", ids=list(members), actor=actor, at=at, reason=reason)
    anchor = members[0]
    for other in members[1:]:
        _set(store, PairDecision(*ordered(anchor, other), "confirmed", actor, at, reason))


def merge_profiles(
    store: GraphStore,
    settings: Settings,
    profile_ids: list[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> tuple[str, Change]:
    """The steward says these profiles are one person: earlier rejections between their
    records are overridden (the latest decision wins), every record is confirmed with one
    anchor record (so all are one person, whatever the model scores), and the component is
    re-placed: by the ID rule the larger (then older) profile keeps its ID."""
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
    members = [m for g in groups for m in g]
    _confirm_together(store, members, actor, now_iso(), f"merge: {reason}")
    change = replace(store, settings, members, model)
    assert change.placement is not None
    kept = change.placement.profile_of[members[0]]
    change.audit_id = audit(
        store,
        actor,
        "mergeProfiles",
        reason,
        {"profiles": sorted(live)},
        {"profile": kept},
        members,
        sorted({*live, kept}),
    )
    return kept, change


def split_records(
    store: GraphStore,
    settings: Settings,
    customer_ids: Sequence[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> tuple[str, str, Change]:
    """Take records out of their profile, together: each is rejected with every record that
    stays (overriding earlier confirmations, the latest decision wins), the records that
    leave are confirmed as one person when there are several, and records that stay keep
    any confirmation they had with each other through a leaving record. Only the named
    records leave, unless the model linked the others only through them. Returns (the
    leaving records' profile, the profile they left, what changed)."""
    if not reason.strip():
        raise InputError("a split needs a reason")
    leaving = sorted(dict.fromkeys(customer_ids))
    if not leaving:
        raise InputError("name the record(s) to split out")
    rows = store.read("profile_memberships_of", ids=leaving)
    found = {str(r["customerId"]): str(r["profileId"]) for r in rows}
    missing = [c for c in leaving if c not in found]
    if missing:
        raise InputError(
            f"customer {', '.join(missing)} is in no profile (unknown, or not resolved yet: "
            "run `idgraph resolve`)"
        )
    olds = sorted(set(found.values()))
    if len(olds) > 1:
        raise InputError(
            "records split out together must be in one profile; "
            + ", ".join(f"{c} is in {found[c]}" for c in leaving)
        )
    old = olds[0]
    view = follow(store, old)
    staying = sorted(
        m["customerId"] for m in (view or {}).get("members", []) if m["customerId"] not in found
    )
    if not staying:
        if len(leaving) == 1:
            raise InputError(f"customer {leaving[0]} is already alone in profile {old}")
        raise InputError(f"{', '.join(leaving)} are the whole of profile {old}: nothing to split")
    at = now_iso()
    why = f"split: {reason}"
    before = decisions_around(store, [*leaving, *staying])
    for x in leaving:
        for y in staying:
            _set(store, PairDecision(*ordered(x, y), "rejected", actor, at, why))
    _confirm_together(store, leaving, actor, at, why)
    _keep_confirmed(store, before, set(leaving), staying, actor, at, why)
    change = replace(store, settings, [*leaving, *staying], model)
    assert change.placement is not None
    new_id = change.placement.profile_of[leaving[0]]
    remaining = change.placement.profile_of[staying[0]]
    change.audit_id = audit(
        store,
        actor,
        "splitCustomer",
        reason,
        {"profile": old, "members": sorted([*leaving, *staying])},
        {"profile": new_id, "leaving": leaving, "remaining": remaining},
        [*leaving, *staying],
        sorted({old, new_id, remaining}),
    )
    return new_id, remaining, change


def _keep_confirmed(
    store: GraphStore,
    before: Mapping[tuple[str, str], PairDecision],
    leaving: set[str],
    staying: Sequence[str],
    actor: str,
    at: str,
    reason: str,
) -> None:
    """Records that stay and were confirmed as one person only through a leaving record
    (a merge confirms every record with one anchor) are confirmed with each other again."""
    graph = _confirmed_graph(before.values())
    remaining = _confirmed_graph(
        d for d in before.values() if d.a not in leaving and d.b not in leaving
    )
    done: set[str] = set()
    for x in staying:
        if x in done or x not in graph:
            continue
        group = sorted(m for m in _group(graph, x) if m not in leaving)
        done |= set(group)
        parts: list[list[str]] = []
        for m in group:
            if not any(m in part for part in parts):
                parts.append(sorted(_group(remaining, m)))
        for part in parts[1:]:
            _set(
                store, PairDecision(*ordered(parts[0][0], part[0]), "confirmed", actor, at, reason)
            )
