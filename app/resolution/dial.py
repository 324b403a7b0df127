"""The confidence dial: a profile re-derived from MATCHES edges at a caller's confidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import InputError
from app.store import GraphStore

MAX_HOPS = 6  # a person's records are a few hops apart at most; bounds the traversal


@dataclass
class ProfileView:
    profile_id: str  # the live profile (after following merges)
    requested_id: str
    min_confidence: float | None
    customer_ids: list[str]
    materialised_ids: list[str]  # members at the operational threshold


def follow(store: GraphStore, profile_id: str) -> dict[str, Any] | None:
    """The profile, following `mergedInto` from retired IDs to their successor."""
    seen: set[str] = set()
    current = profile_id
    while current not in seen:
        seen.add(current)
        row = store.read_one("profile_lookup", profileId=current)
        if row is None:
            return None
        if row["status"] != "merged" or not row["mergedInto"]:
            return row
        current = str(row["mergedInto"])
    return None


def profile_view(
    store: GraphStore, profile_id: str, min_confidence: float | None = None
) -> ProfileView | None:
    """Members of a profile; with `min_confidence`, the records connected to its anchor
    record by edges that count at that confidence (so a stricter dial shrinks the profile
    and a looser one can reach records the operational threshold left out)."""
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"minConfidence must be between 0 and 1, not {min_confidence}")
    row = follow(store, profile_id)
    if row is None:
        return None
    members = sorted(row["members"], key=lambda m: (-(m["confidence"] or 0), m["customerId"]))
    materialised = sorted(m["customerId"] for m in members)
    if min_confidence is None or not members:
        ids = materialised
    else:
        anchor = members[0]["customerId"]
        found, frontier = {anchor}, [anchor]
        for _ in range(MAX_HOPS):
            if not frontier:
                break
            nxt = [
                r["customerId"]
                for r in store.read("match_neighbours", ids=frontier, min=min_confidence)
            ]
            frontier = [c for c in nxt if c not in found]
            found.update(frontier)
        ids = sorted(found)
    return ProfileView(str(row["profileId"]), profile_id, min_confidence, ids, materialised)
