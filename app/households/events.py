"""What the real-time paths call: a profile's address, accounts or devices changed (regroup
its part of the graph, then recompute the Group DNA of the households that part holds), or
a member's event arrived (recompute their household's Group DNA)."""

from __future__ import annotations

from collections.abc import Sequence

from app.households.dna import compute_dna, refresh_for_profile
from app.households.resolve import HouseholdSummary, rehouse
from app.metrics.changes import MetricChange
from app.settings import Settings
from app.store import GraphStore


def profiles_changed(
    store: GraphStore, settings: Settings, profile_ids: Sequence[str]
) -> list[MetricChange]:
    """Regroup around these profiles; the Group DNA changes of every household touched."""
    return regroup(store, settings, profile_ids)[0]


def regroup(
    store: GraphStore, settings: Settings, profile_ids: Sequence[str]
) -> tuple[list[MetricChange], HouseholdSummary]:
    """profiles_changed, with what happened to the households' memberships."""
    summary = rehouse(store, settings, profile_ids)
    return compute_dna(store, settings, summary.household_ids, facts=summary.facts), summary


def member_event(store: GraphStore, settings: Settings, profile_id: str) -> list[MetricChange]:
    """A member's interaction arrived: their household's Group DNA changes."""
    return refresh_for_profile(store, settings, profile_id)
