"""The confidence dial: a profile re-derived from the stored MATCHES edges at a caller's
confidence, by the same clustering as batch (app/resolution/cluster.py). At the
operational threshold it gives the stored profile; a higher confidence only ever removes
records; a lower one adds only records the same clustering would join at that level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import ConfigError, InputError
from app.resolution.cluster import cluster
from app.resolution.component import Component, read_component, scored_pairs
from app.resolution.model import MatchModel, saved_model
from app.settings import Settings
from app.store import GraphStore


@dataclass
class ProfileView:
    profile_id: str  # the live profile (after following merges)
    requested_id: str
    min_confidence: float | None
    customer_ids: list[str]
    materialised_ids: list[str]  # members at the operational threshold
    applied_confidence: float | None = None  # the dial after clamping to the edge floor
    capped: bool = False  # the component was bigger than the cap: the view is bounded


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


def anchor(comp: Component, members: list[str]) -> str:
    """The member the view follows at every confidence: the one most strongly tied to the
    other members (sum of its pairs' probabilities), ties to the smallest id. It does not
    depend on the dial, so the views at two confidences nest."""
    pos = comp.position
    inside = {pos[m] for m in members if m in pos}
    score = dict.fromkeys(members, 0.0)
    ids = comp.ids
    for a, b, p in zip(comp.left, comp.right, comp.prob, strict=True):
        if a in inside and b in inside:
            score[str(ids[a])] += float(p)
            score[str(ids[b])] += float(p)
    return min(members, key=lambda m: (-score[m], m))


def view_at(
    comp: Component,
    settings: Settings,
    members: list[str],
    confidence: float,
    model: MatchModel | None,
) -> tuple[list[str], bool]:
    """The records clustered with the anchor at `confidence`, and whether a cap was hit. The
    pairs are the ones batch clustered: the stored edges and, with the model, the pairs
    below the floor scored again (`scored_pairs`)."""
    n = len(comp.ids)
    left, right, prob, against = scored_pairs(comp, settings, model)
    clustering = cluster(
        n,
        left,
        right,
        prob,
        confidence,
        sparse=comp.sparse,
        against=against,
        against_full=settings.against_full,
        decisions=comp.decisions,
        floor=settings.match_floor,
        sparse_threshold=settings.sparse_threshold,
        cap=settings.component_cap,
        exclusive=comp.exclusive(model, settings),
    )
    ids = np.asarray(comp.ids, dtype=object)
    label = clustering.labels[comp.position[anchor(comp, members)]]
    return sorted(str(x) for x in ids[clustering.labels == label]), bool(clustering.capped)


def profile_view(
    store: GraphStore, settings: Settings, profile_id: str, min_confidence: float | None = None
) -> ProfileView | None:
    """Members of a profile; with `min_confidence`, the members by the same clustering at that
    confidence (below the edge floor, at the floor: weaker pairs are not stored)."""
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"minConfidence must be between 0 and 1, not {min_confidence}")
    row = follow(store, profile_id)
    if row is None:
        return None
    materialised = sorted(m["customerId"] for m in row["members"])
    view = ProfileView(
        str(row["profileId"]), profile_id, min_confidence, materialised, materialised
    )
    if min_confidence is None or not materialised:
        return view
    applied = max(min_confidence, settings.match_floor)
    try:
        model: MatchModel | None = saved_model(settings.model_file)
    except ConfigError:
        model = None  # no model, no scored pairs beyond the stored edges
    comp = read_component(store, settings, materialised, common=model.common if model else None)
    view.customer_ids, capped = view_at(comp, settings, materialised, applied, model)
    view.applied_confidence = applied
    view.capped = capped or comp.capped
    return view
