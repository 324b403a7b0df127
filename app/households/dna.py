"""Group DNA: household metrics from the members (read by traversal), what household
resolution reads of each member profile (its accounts, devices and spend: `ProfileFacts`),
their accounts' data usage and the members' own Customer DNA; stored on the Household as
Customer DNA is stored on the profile (app/metrics/storage.py: `dna_<name>`, its time, a
bounded history and a trend, by the same rule). In batch for every household, or for one
household when a member's event arrives."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.gcpause import gc_paused
from app.households.grouping import ProfileFacts, age_on
from app.households.resolve import now_iso, read_facts
from app.households.rules import Rules, load_rules
from app.metrics.changes import MetricChange
from app.metrics.storage import Stored, update
from app.settings import Settings
from app.store import GraphStore
from app.store.base import Row
from app.store.batches import batched, pipelined, read_ahead

LABEL = "Household"
# JSON of the values, services and month last written (state_of): a batch compares 100k
# households against one property each and reads the dna_ properties (histories) only of
# those whose Group DNA changed. The dna_ properties remain the record.
STATE = "dnaState"
# The Customer DNA metric whose maximum over the members is the household's churn risk.
CHURN_METRIC = "churnRisk"
METRICS: tuple[str, ...] = (
    "members",
    "adults",
    "devices",
    "accounts",
    "totalSpend",
    "spendPerMember",
    "dataUsageMb",
    "dataPlanMb",
    "dataUsageVsPlan",
    "maxChurnRisk",
)
DEFAULT_HISTORY = 12


@dataclass
class GroupDna:
    household_id: str
    values: dict[str, float | int | None] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)  # data services seen on its accounts
    usage_month: str | None = None  # the month dataUsageMb is for (YYYY-MM)


@dataclass
class DnaInputs:
    """What the reads found for one household."""

    members: list[dict[str, Any]] = field(default_factory=list)  # profileId, dob, churnRisk
    devices: int = 0
    accounts: int = 0
    spend: float = 0.0
    usage: list[dict[str, Any]] = field(default_factory=list)  # accountId, planMb, usage


def held_by_members(
    members: Sequence[str], facts: Mapping[str, ProfileFacts]
) -> tuple[int, int, float]:
    """A household's devices and accounts (each counted once, however many members hold it)
    and its spend (its members' spend added up in profile order), from the members' facts; a
    member without facts (no longer active) holds nothing."""
    devices: set[str] = set()
    accounts: set[str] = set()
    spend = 0.0
    for pid in sorted(members):
        if (f := facts.get(pid)) is not None:
            devices.update(f.devices)
            accounts.update(a for a, _ in f.accounts)
            spend += f.spend
    return len(devices), len(accounts), spend


def compute(household_id: str, inputs: DnaInputs, rules: Rules, today: date) -> GroupDna:
    """Group DNA of one household from what the traversals found."""
    members = inputs.members
    adults = sum(
        1 for m in members if (age_on(m.get("dateOfBirth"), today) or 0) >= rules.adult_age
    )
    churn = [float(v) for m in members if isinstance(v := m.get("churnRisk"), int | float)]
    monthly: dict[str, float] = defaultdict(float)
    services: set[str] = set()
    plan = 0.0
    planned = False
    for row in inputs.usage:
        if row.get("planMb") is not None:
            plan += float(row["planMb"])
            planned = True
        for month, value, channel in row.get("usage") or []:
            if month:
                monthly[str(month)] += float(value or 0.0)
            if channel:
                services.add(str(channel))
    month = max(monthly) if monthly else None
    used = round(monthly[month], 2) if month else None
    n = len(members)
    spend = inputs.spend
    values: dict[str, float | int | None] = {
        "members": n,
        "adults": adults,
        "devices": inputs.devices,
        "accounts": inputs.accounts,
        "totalSpend": round(spend, 2),
        "spendPerMember": round(spend / n, 2) if n else None,
        "dataUsageMb": used,
        "dataPlanMb": round(plan, 2) if planned else None,
        "dataUsageVsPlan": round(used / plan, 4) if used is not None and planned and plan else None,
        "maxChurnRisk": max(churn) if churn else None,
    }
    return GroupDna(household_id, values, sorted(services), month)


def state_of(dna: GroupDna) -> str:
    """What `STATE` holds: equal texts, equal values, services and month."""
    doc = {"v": dna.values, "s": dna.services, "u": dna.usage_month}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def stored_props(
    dna: GroupDna, previous: Mapping[str, Any], at: str, keep: int
) -> tuple[dict[str, Any], list[MetricChange]]:
    """The properties to write (values, times, histories and trends by Customer DNA's rule,
    `storage.update`; services, usage month, state) and the changes to hand on."""
    props: dict[str, Any] = {
        "services": dna.services,
        "dataUsageMonth": dna.usage_month,
        "dnaComputedAt": at,
        STATE: state_of(dna),
    }
    changes: list[MetricChange] = []
    for name, value in dna.values.items():
        old = Stored.of(name, previous)
        new, change = update(LABEL, dna.household_id, name, old, value, at, keep)
        props |= new
        if change:
            changes.append(change)
    return props, changes


def differing(props: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of `props` that writing would change on a household holding `previous`
    (all its properties): a null where it holds none is no change. A first computation
    leaves out about half of its 44 properties (trends of one point, metrics with no value),
    a later one the metrics that did not move."""
    return {k: v for k, v in props.items() if previous.get(k) != v}


def unchanged(props: Mapping[str, Any], previous: Mapping[str, Any]) -> bool:
    """Whether writing `props` (from stored_props) would leave the household's Group DNA as it
    is (its state text and the time aside)."""
    return not differing(props, previous).keys() - {"dnaComputedAt", STATE}


@gc_paused()
def compute_dna(
    store: GraphStore,
    settings: Settings,
    household_ids: Sequence[str],
    rules: Rules | None = None,
    today: date | None = None,
    on_batch: Callable[[int], None] | None = None,
    batch_size: int = 500,
    facts: Mapping[str, ProfileFacts] | None = None,
) -> list[MetricChange]:
    """Compute and store Group DNA for these households; return what changed. `facts`: what
    household resolution has just read of the profiles (read here for members it lacks).
    Households go in batches of `batch_size`: the next batch's reads and the last batch's
    write run while this one is computed."""
    rules = rules or load_rules(settings.household_rules_file)
    today = today or date.today()
    keep = int(getattr(settings, "metrics_history", DEFAULT_HISTORY))
    known: dict[str, ProfileFacts] = dict(facts or {})
    asked: set[str] = set(known)
    changes: list[MetricChange] = []
    chunks = list(batched(household_ids, batch_size))

    def read(ids: list[str]) -> list[list[Row]]:
        return store.read_many(
            [
                ("household_dna_members", {"ids": ids}),
                ("household_dna_usage", {"ids": ids}),
                ("household_dna_state", {"ids": ids}),
            ]
        )

    def computed() -> Iterator[tuple[list[str], list[tuple[str, dict[str, Any]]]]]:
        """Each batch's households and the property rows to write for them."""
        for ids, (members, usage, states) in read_ahead(chunks, read):
            inputs = {h: DnaInputs() for h in ids}
            if missing := sorted({str(m["profileId"]) for m in members} - asked):
                asked.update(missing)
                facts_read = read_facts(store, rules.spend_types, missing)
                known.update((f.profile_id, f) for f in facts_read)
            for row in members:
                inputs[row["householdId"]].members.append(row)
            for got in inputs.values():
                got.devices, got.accounts, got.spend = held_by_members(
                    [str(m["profileId"]) for m in got.members], known
                )
            for row in usage:
                inputs[row["householdId"]].usage.append(row)
            stored = {r["householdId"]: r["state"] for r in states}  # households that exist
            # Never given Group DNA (a first run): no history to add to, nothing to read.
            fresh = {r["householdId"] for r in states if r["computedAt"] is None}
            dnas = [compute(hid, inputs[hid], rules, today) for hid in ids if hid in stored]
            moved = [dna for dna in dnas if state_of(dna) != stored[dna.household_id]]
            previous: dict[str, Any] = {h: {} for h in fresh}
            if held_ids := [d.household_id for d in moved if d.household_id not in fresh]:
                found = store.read("household_dna_props", ids=held_ids)  # histories to add to
                previous |= {r["householdId"]: r["props"] for r in found}
            at = now_iso()
            rows: list[tuple[str, dict[str, Any]]] = []
            for dna in moved:
                if (held := previous.get(dna.household_id)) is None:
                    continue  # gone since
                props, changed = stored_props(dna, held, at, keep)
                if unchanged(props, held):  # written before the state was kept: the state alone
                    rows.append((dna.household_id, {STATE: props[STATE]}))
                    continue  # dnaComputedAt stays the time of the last change
                rows.append((dna.household_id, differing(props, held)))
                changes.extend(changed)
            yield ids, rows

    def write(batch: tuple[list[str], list[tuple[str, dict[str, Any]]]]) -> int:
        ids, rows = batch
        store.set_properties(
            "household_set_dna", "Household", "householdId", rows, settings.batch_size
        )
        return len(ids)

    # One batch (a household refreshed in real time) is written from this thread.
    for n in pipelined(computed(), write) if len(chunks) > 1 else map(write, computed()):
        if on_batch:
            on_batch(n)
    return changes


def refresh_household(
    store: GraphStore, settings: Settings, household_id: str
) -> list[MetricChange]:
    """Recompute one household's Group DNA (after a member's event); the changed metrics."""
    return compute_dna(store, settings, [household_id])


def refresh_for_profile(
    store: GraphStore, settings: Settings, profile_id: str
) -> list[MetricChange]:
    """Recompute the Group DNA of the household this profile currently belongs to."""
    row = store.read_one("household_of_profiles", ids=[profile_id])
    return refresh_household(store, settings, row["householdId"]) if row else []


def all_household_ids(store: GraphStore) -> list[str]:
    return [r["householdId"] for r in store.read("household_active_ids")]
