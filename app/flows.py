"""Flows that cross domains, in one place for GraphQL, the CLI and (later) the pages:
a record upserted in real time, a steward's decision, merge or split, and what follows
every change of profile membership (Customer DNA of the profiles, households and Group DNA,
alert rules). The API and the CLI only translate arguments and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app import changefeed
from app.audit import record as audit
from app.changefeed import FeedEvent
from app.ingestion.identifiers import identifier_types
from app.metrics.changes import MetricChange
from app.metrics.compute import RunSummary
from app.metrics.events import EventResult
from app.resolution import stewards
from app.resolution.batch import ResolveSummary, resolve
from app.resolution.model import MatchModel
from app.resolution.realtime import (
    MAX_ATTRIBUTES,
    RealtimeResult,
    attribute_names,
    upsert_record,
)
from app.settings import Settings
from app.store import GraphStore, marks

# Resolution writers (real time, stewards, batch) take turns across processes: they read a
# component, then write its placement, and two interleaved would each undo the other.
RESOLUTION_LOCK = "resolution"
IDENTITY = "identity"  # the cause of metric changes that follow records changing profile
LOCK_TTL_S = 60.0  # renewed while held
BATCH_WAIT_S = 600.0  # a batch run waits this long for real-time writers to finish


def pass_to_alerts(store: GraphStore, settings: Settings, changes: list[MetricChange]) -> int:
    """Hand metric changes to the alert rules; the number of alerts raised. The one place
    metrics meet alerts."""
    from app.alerts import evaluate_changes

    return len(evaluate_changes(store, settings, changes)) if changes else 0


def metrics_batch(
    store: GraphStore,
    settings: Settings,
    now: datetime | None,
    console: Any = None,
    show_progress: bool = True,
    full: bool = False,
) -> tuple[RunSummary, int]:
    """Every profile's Customer DNA (`idgraph metrics`), its changes handed to the alert
    rules; the summary and the alerts raised. The alerts are the batch's writes (a stage
    that does not read alerts, such as households, is not made to run again by them)."""
    from app.alerts import watched_metrics
    from app.metrics.batch import run_batch
    from app.metrics.compute import LABEL

    def watched() -> frozenset[str]:
        # only changes of the metrics a rule watches can fire: the rest are counted, not kept
        return watched_metrics(store, settings, LABEL)

    with marks.writing_as(store, marks.METRICS):
        summary = run_batch(store, settings, now, console, show_progress, full, watched)
        return summary, pass_to_alerts(store, settings, summary.changes)


def profiles_changed(
    store: GraphStore,
    settings: Settings,
    live: Sequence[str],
    retired: Sequence[str] = (),
    feed: Sequence[FeedEvent] = (),
    audit_id: str | None = None,
) -> int:
    """What follows profiles changing membership (a record placed in real time, a steward's
    decision): the live profiles' Customer DNA, their households regrouped with Group DNA,
    the alert rules over every change, and the change feed (the profiles' changes and the
    households'). The number of alerts raised. Every metric change it makes is caused by
    identity, with `audit_id` (the decision or upsert that moved the records) in the
    metric's history."""
    from app.households.events import regroup
    from app.metrics.events import recompute_profile

    cause = f"{IDENTITY}:{audit_id}" if audit_id else IDENTITY
    changes: list[MetricChange] = []
    for profile_id in dict.fromkeys(live):
        changes += recompute_profile(store, settings, profile_id, cause=cause)
    household, summary = regroup(store, settings, list(dict.fromkeys([*live, *retired])))
    changefeed.record(
        store, settings, [*feed, *changefeed.household_changes(summary.membership_changes)]
    )
    # Every change here follows from records joining or leaving profiles: a correction of
    # identity, which alert rules do not take for behaviour unless they ask to.
    caused = [c._replace(cause=IDENTITY, cause_id=audit_id) for c in [*changes, *household]]
    return pass_to_alerts(store, settings, caused)


@dataclass
class Upserted:
    result: RealtimeResult
    alerts: int


@marks.unit_of_work
def upsert(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    source: str,
    record: dict[str, Any],
    actor: str,
) -> Upserted:
    """One record in real time: loaded, placed, then its profiles' metrics, households and
    alerts, and audited under `actor`. The same for `upsertCustomerRecord` and `idgraph
    upsert`. A partial update: only the fields `record` carries change, a field given as None
    is cleared (app/ingestion/partial.py). A record of an erased person is refused
    (app/privacy/suppression.py)."""
    from app.ingestion.normalize import clean1
    from app.ingestion.partial import changed, overlay, stored_record
    from app.privacy.suppression import refuse_if_erased
    from app.values import source_name

    source = source_name(source)
    attribute_names(record, MAX_ATTRIBUTES)  # what the update sends, before the stored ones
    key = clean1(record.get("sourceKey"))
    customer_id = f"{source}:{key}" if key is not None else None
    if customer_id is not None:
        refuse_if_erased(store, settings, customer_id)
    with store.lock(RESOLUTION_LOCK, ttl_s=LOCK_TTL_S):
        types = identifier_types(store)
        before = stored_record(store, customer_id, types) if customer_id else None
        full = overlay(before, record)
        result = upsert_record(store, settings, model, source, full, types)
        after = stored_record(store, result.customer_id, types) or {}
    old, new = changed(before, after) if before is not None else (None, after)
    profiles = sorted({result.profile_id, *result.changed_profiles})
    audited = audit(
        store, actor, "upsertCustomerRecord", "", old, new, [result.customer_id], profiles
    )
    live = [p for p in result.changed_profiles if p not in result.retired]
    alerts = profiles_changed(store, settings, live, result.retired, result.changes, audited)
    return Upserted(result, alerts)


@marks.unit_of_work
def record_event(
    store: GraphStore,
    settings: Settings,
    row: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> tuple[EventResult, int]:
    """One interaction in real time (a row from app.metrics.events.interaction_row): stored,
    its profile's metrics and its household's Group DNA recomputed, the changes handed to
    the alert rules, and audited under `actor`. The result and the alerts raised. An
    interaction of an erased person is refused."""
    from app.households.events import member_event
    from app.metrics.events import record_interaction
    from app.privacy.suppression import refuse_if_erased

    refuse_if_erased(store, settings, str(row["customerId"]))
    result = record_interaction(store, settings, row, now)
    changes = list(result.changes)
    if result.profile_id:  # the member's household: its Group DNA follows the event
        changes += member_event(store, settings, result.profile_id)
    raised = pass_to_alerts(store, settings, changes)
    after = {"interactionId": result.interaction_id, **row["props"]}
    profiles = [result.profile_id] if result.profile_id else []
    audit(store, actor, "recordInteraction", "", None, after, [result.customer_id], profiles)
    return result, raised


@dataclass
class Decided:
    change: stewards.Change
    alerts: int
    details: dict[str, Any]


@marks.unit_of_work
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
    with store.lock(RESOLUTION_LOCK, ttl_s=LOCK_TTL_S):
        details, change = stewards.decide(store, settings, a, b, status, actor, reason, model)
    alerts = _after(store, settings, change)
    return Decided(change, alerts, details)


@marks.unit_of_work
def merge(
    store: GraphStore,
    settings: Settings,
    profile_ids: list[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> Decided:
    with store.lock(RESOLUTION_LOCK, ttl_s=LOCK_TTL_S):
        kept, change = stewards.merge_profiles(store, settings, profile_ids, actor, reason, model)
    alerts = _after(store, settings, change)
    return Decided(change, alerts, {"kept": kept})


@marks.unit_of_work
def split(
    store: GraphStore,
    settings: Settings,
    customer_ids: Sequence[str],
    actor: str,
    reason: str,
    model: MatchModel | None = None,
) -> Decided:
    """Records out of their profile, together (`splitCustomer`, `splitRecords`)."""
    with store.lock(RESOLUTION_LOCK, ttl_s=LOCK_TTL_S):
        new_id, remaining, change = stewards.split_records(
            store, settings, customer_ids, actor, reason, model
        )
    alerts = _after(store, settings, change)
    return Decided(change, alerts, {"profile": new_id, "previous": remaining})


def _after(store: GraphStore, settings: Settings, change: stewards.Change) -> int:
    feed = change.placement.changes if change.placement is not None else []
    return profiles_changed(
        store, settings, change.profile_ids, change.retired, feed, change.audit_id
    )


def resolve_all(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    console: Any = None,
    full: bool = False,
) -> ResolveSummary:
    """Batch resolution of every record, one writer at a time with real time and stewards
    across processes (the store's resolution lock). `full`: read and compare every record
    even if nothing has been written since the last run (app/store/marks.py)."""
    with store.lock(RESOLUTION_LOCK, ttl_s=LOCK_TTL_S, wait_s=BATCH_WAIT_S):
        return resolve(store, settings, model, console, full)
