"""Flows that cross domains, in one place for GraphQL, the CLI and (later) the pages:
a record upserted in real time, a steward's decision, merge or split, and what follows
every change of profile membership (Customer DNA of the profiles, households and Group DNA,
alert rules). The API and the CLI only translate arguments and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.metrics.changes import MetricChange
from app.resolution import stewards
from app.resolution.model import MatchModel
from app.resolution.realtime import RealtimeResult, upsert_record
from app.resolution.records import identifier_types
from app.settings import Settings
from app.store import GraphStore


def pass_to_alerts(store: GraphStore, settings: Settings, changes: list[MetricChange]) -> int:
    """Hand metric changes to the alert rules; the number of alerts raised. The one place
    metrics meet alerts."""
    from app.alerts import evaluate_changes

    return len(evaluate_changes(store, settings, changes)) if changes else 0


def profiles_changed(
    store: GraphStore, settings: Settings, live: Sequence[str], retired: Sequence[str] = ()
) -> int:
    """What follows profiles changing membership (a record placed in real time, a steward's
    decision): the live profiles' Customer DNA, their households regrouped with Group DNA,
    then the alert rules over every change. The number of alerts raised."""
    from app.households.events import profiles_changed as households_changed
    from app.metrics.events import recompute_profile

    changes: list[MetricChange] = []
    for profile_id in dict.fromkeys(live):
        changes += recompute_profile(store, settings, profile_id)
    changes += households_changed(store, settings, list(dict.fromkeys([*live, *retired])))
    return pass_to_alerts(store, settings, changes)


@dataclass
class Upserted:
    result: RealtimeResult
    alerts: int


def upsert(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    source: str,
    record: dict[str, Any],
) -> Upserted:
    """One record in real time: loaded, placed, then its profiles' metrics, households and
    alerts. The same for `upsertCustomerRecord` and `idgraph upsert`. A record of an erased
    person is refused (app/privacy/suppression.py)."""
    from app.ingestion.normalize import clean1
    from app.privacy.suppression import refuse_if_erased

    key = clean1(record.get("sourceKey"))
    if key is not None:
        refuse_if_erased(store, settings, f"{source}:{key}")
    result = upsert_record(store, settings, model, source, record, identifier_types(store))
    live = [p for p in result.changed_profiles if p not in result.retired]
    return Upserted(result, profiles_changed(store, settings, live, result.retired))


@dataclass
class Decided:
    change: stewards.Change
    alerts: int
    details: dict[str, Any]


def decide(
    store: GraphStore,
    settings: Settings,
    a: str,
    b: str,
    status: stewards.Decision,
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> Decided:
    details, change = stewards.decide(store, settings, a, b, status, actor, reason, model)
    alerts = profiles_changed(store, settings, change.profile_ids, change.retired)
    return Decided(change, alerts, details)


def merge(
    store: GraphStore,
    settings: Settings,
    profile_ids: list[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> Decided:
    kept, change = stewards.merge_profiles(store, settings, profile_ids, actor, reason, model)
    alerts = profiles_changed(store, settings, change.profile_ids, change.retired)
    return Decided(change, alerts, {"kept": kept})


def split(
    store: GraphStore,
    settings: Settings,
    customer_id: str,
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> Decided:
    new_id, remaining, change = stewards.split_customer(
        store, settings, customer_id, actor, reason, model
    )
    alerts = profiles_changed(store, settings, change.profile_ids, change.retired)
    return Decided(change, alerts, {"profile": new_id, "previous": remaining})
