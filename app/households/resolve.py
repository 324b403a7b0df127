"""Household resolution against the store: read profile facts, group, keep IDs stable, write
Household nodes and MEMBER_OF edges (ended edges stay as history). In batch for every profile
(`resolve_households`) or for the part of the graph around changed profiles (`rehouse`)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from app.errors import BulkUnsupported
from app.gcpause import gc_paused
from app.households.grouping import Group, ProfileFacts, group_profiles
from app.households.ids import assign_household_ids
from app.households.rules import Rules, load_rules
from app.privacy.consent import golden_marketing
from app.settings import Settings
from app.store import GraphStore
from app.store.base import BulkEdges, BulkNodes, key_of, set_on_new
from app.store.batches import batched
from app.timing import Laps


@dataclass
class HouseholdSummary:
    profiles: int = 0
    households: int = 0
    multi_member: int = 0
    largest: int = 0
    kept_ids: int = 0
    new_ids: int = 0
    retired_ids: int = 0
    memberships_ended: int = 0
    dissolved: int = 0
    hubs: dict[str, int] = field(default_factory=dict)
    # every active household once the run is done (Group DNA's batch takes them from here)
    household_ids: list[str] = field(default_factory=list)
    # what was read of the profiles grouped, by profile id (Group DNA counts from it)
    facts: dict[str, ProfileFacts] = field(default_factory=dict)
    # households whose members changed: {householdId, joined, left} (the change feed)
    membership_changes: list[dict[str, object]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_facts(
    store: GraphStore, spend_types: Sequence[str], ids: Sequence[str] | None = None
) -> list[ProfileFacts]:
    """What grouping needs of every active profile (ids None) or of the active ones in ids:
    a few flat reads joined here."""

    def query(part: str, **params: Any) -> tuple[str, dict[str, Any]]:
        if ids is None:
            return f"household_facts_{part}", params
        return f"household_facts_{part}_of", {"ids": list(ids), **params}

    # Every column of the first four is a text (read_texts); spend is a number.
    texts = [query(part) for part in ("profiles", "records", "accounts", "identifiers")]
    name, params = query("spend", spendTypes=list(spend_types))
    calls: list[Callable[[], Any]] = [
        *(partial(store.read_texts, store.cypher(n), **p) for n, p in texts),
        partial(store.read, name, **params),
    ]
    *found, spent = store.in_parallel(calls)
    profiles, records, held, identifiers = found
    facts: dict[str, ProfileFacts] = {}
    for pid, last, born, address, city in _walk(
        profiles, "profileId", "lastName", "dateOfBirth", "addressId", "city"
    ):
        facts[str(pid)] = ProfileFacts(str(pid), last, born, address, city, records=0)
    postcodes: dict[str, set[str]] = defaultdict(set)
    for pid, postcode in _walk(records, "profileId", "postcode"):
        if (f := facts.get(pid)) is not None:
            f.records += 1
            if postcode:
                postcodes[f.profile_id].add(str(postcode))
    accounts: dict[str, set[tuple[str, str | None]]] = defaultdict(set)
    for pid, account, role in _walk(held, "profileId", "accountId", "role"):
        accounts[pid].add((str(account), role))
    found_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pid, label, value in _walk(identifiers, "profileId", "label", "value"):
        if value is not None:
            found_ids[(pid, label)].add(str(value))
    spend = {r["profileId"]: float(r["spend"] or 0.0) for r in spent}
    for pid, f in facts.items():
        f.accounts = sorted(accounts.get(pid, ()), key=lambda a: (a[0], a[1] or ""))
        f.devices = sorted(found_ids.get((pid, "Device"), ()))
        f.phones = sorted(found_ids.get((pid, "Phone"), ()))
        f.emails = sorted(found_ids.get((pid, "Email"), ()))
        f.postcodes = sorted(postcodes.get(pid, ()))
        f.spend = spend.get(pid, 0.0)
    return [facts[p] for p in sorted(facts)]


def _walk(columns: dict[str, list[Any]], *names: str) -> Iterator[tuple[Any, ...]]:
    """A `read_texts` answer's columns, row by row."""
    return zip(*(columns.get(n, ()) for n in names), strict=True)


@gc_paused()
def resolve_households(
    store: GraphStore,
    settings: Settings,
    rules: Rules | None = None,
    today: date | None = None,
    say: Callable[[str], None] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> HouseholdSummary:
    """Group every active profile into a household and write the result; the profiles'
    golden consent beside it. `progress(step, n)`: ("profiles", n) once they are read,
    ("grouped", n) once grouped and written, ("consent", n) as each batch's golden consent
    is checked. The seconds: read, group, write, and consent (the wait for the golden
    consent once the households are written)."""
    rules = rules or load_rules(settings.household_rules_file)
    out = HouseholdSummary()
    lap = Laps(out.seconds).lap
    tell = progress or (lambda step, n: None)

    facts = read_facts(store, rules.spend_types)
    links = _links(store.read("household_current_links"))
    previous = {p: str(r["householdId"]) for p, r in links.items()}
    lap("read")
    tell("profiles", len(facts))
    if say:
        say(f"{len(facts):,} active profiles; {len(set(previous.values())):,} households before")
    # Golden consent depends on the profiles' records, not on their households: it is worked
    # out and written while the profiles are grouped (its reads and writes are the store's
    # work while this process groups).
    with ThreadPoolExecutor(1, thread_name_prefix="golden-consent") as beside:
        consent = beside.submit(
            copy_context().run,
            golden_marketing,
            store,
            sorted(f.profile_id for f in facts),
            on_batch=lambda n: tell("consent", n),
        )
        _group_and_write(store, settings, rules, today, facts, links, previous, out, lap, say)
        tell("grouped", len(facts))
        consent.result()
    lap("consent")
    out.facts = {f.profile_id: f for f in facts}
    return out


def _group_and_write(
    store: GraphStore,
    settings: Settings,
    rules: Rules,
    today: date | None,
    facts: list[ProfileFacts],
    links: dict[str, dict[str, Any]],
    previous: dict[str, str],
    out: HouseholdSummary,
    lap: Callable[[str], Any],
    say: Callable[[str], None] | None,
) -> None:
    """Group the profiles and write the households into `out`, unless nothing changed since
    the last run (then `out` takes that run's summary)."""
    inputs = GroupingDigest(rules, today or date.today(), facts)
    last = store.read_one("resolve_state", stage=STATE_NAME)
    if last is not None and last["digest"] == inputs.digest(links):
        _unchanged(last["summary"], previous, out)
        lap("group")
        if say:
            say("nothing changed since the last households run: grouping kept as it is")
    else:
        grouping = group_profiles(facts, rules, inputs.today)
        out.hubs = dict(grouping.hubs)
        lap("group")
        left = _write(store, settings, grouping.groups, links, out, full=True)
        store.write(
            "resolve_state_set",
            stage=STATE_NAME,
            digest=inputs.digest(left),
            summary=json.dumps({k: getattr(out, k) for k in KEPT_IN_SUMMARY}),
            at=now_iso(),
        )
        lap("write")


STATE_NAME = "households"  # its ResolveState node (resolve_state)
KEPT_IN_SUMMARY = ("profiles", "households", "multi_member", "largest", "hubs")


class GroupingDigest:
    """What a batch grouping's result depends on: the rules, the day (ages decide roles), every
    active profile's facts, and every current membership as the graph holds it (so one a
    rehouse, a steward or an erasure changed since makes the next run group in full)."""

    def __init__(self, rules: Rules, today: date, facts: Sequence[ProfileFacts]) -> None:
        self.today = today
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((rules, today.isoformat())).encode())
        for f in facts:
            h.update(repr(f).encode())
        self._base = h

    def digest(self, links: dict[str, dict[str, Any]]) -> str:
        """The digest with these current memberships (profile id -> household_current_links
        row)."""
        h = self._base.copy()
        for p in sorted(links):
            h.update(repr(tuple(links[p].get(k) for k in LINK_KEY)).encode())
        return h.hexdigest()


def _unchanged(summary: str, previous: dict[str, str], out: HouseholdSummary) -> None:
    """The last run's summary into `out` (a new one), for a run with nothing to group anew:
    nothing written."""
    for name, value in json.loads(summary).items():
        setattr(out, name, value)
    out.household_ids = sorted(set(previous.values()))
    out.kept_ids = len(out.household_ids)


def rehouse(
    store: GraphStore,
    settings: Settings,
    profile_ids: Sequence[str],
    rules: Rules | None = None,
    today: date | None = None,
) -> HouseholdSummary:
    """Regroup after a change to these profiles (their address, accounts or devices): the
    profiles that share an identifier with them and the members of all their households are
    grouped again by the same rules; the rest of the graph is untouched."""
    rules = rules or load_rules(settings.household_rules_file)
    out = HouseholdSummary()
    near = [r["profileId"] for r in store.read("household_neighbours", ids=list(profile_ids))]
    ids = sorted(set(near) | set(profile_ids))
    facts = read_facts(store, rules.spend_types, ids)
    links = _links(store.read("household_current_links_of", ids=ids))
    grouping = group_profiles(facts, rules, today or date.today())
    _write(store, settings, grouping.groups, links, out, full=False)
    out.facts = {f.profile_id: f for f in facts}
    return out


# What a household and a current membership store of a grouping (compared to write only what
# changed).
HOUSEHOLD_PROPS = ("size", "addressId", "evidenceKinds", "decisionMaker", "absorbed", "splitFrom")
LINK_PROPS = ("role", "reason", "evidence", "confidence")
LINK_KEY = ("householdId", *LINK_PROPS)


def first_by_bulk(
    store: GraphStore, new_households: list[dict[str, Any]], new_links: list[dict[str, Any]]
) -> bool:
    """A first grouping (the graph has no household yet) by the store's bulk path
    (FalkorDB: GRAPH.BULK): the nodes and relationships household_create and
    household_create_members would make. False, with nothing written, where the store has
    no bulk path or refuses it (it has Household nodes already); the queries then write
    them. tests/households/test_firstrun.py holds the two graphs equal."""
    if not store.has_bulk_path or not new_households:
        return False
    nodes = [
        {
            **set_on_new(r["props"]),
            "householdId": r["householdId"],
            "status": "active",
            "createdAt": r["at"],
            "updatedAt": r["at"],
        }
        for r in new_households
    ]
    edges = [
        (
            r["profileId"],
            r["householdId"],
            set_on_new(
                {
                    "status": "current",
                    "since": r["at"],
                    **{k: r[k] for k in LINK_PROPS},
                    "updatedAt": r["at"],
                }
            ),
        )
        for r in new_links
    ]
    household = key_of("Household")
    try:
        store.bulk_load(
            [BulkNodes(household.label, household.prop, nodes)],
            [BulkEdges("MEMBER_OF", key_of("Profile"), household, edges)],
        )
    except BulkUnsupported:
        return False
    return True


def _links(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Current memberships as read (household_current_links): profile id -> row."""
    return {str(r["profileId"]): r for r in rows}


def _write(
    store: GraphStore,
    settings: Settings,
    groups: list[Group],
    links: dict[str, dict[str, Any]],
    out: HouseholdSummary,
    *,
    full: bool,
) -> dict[str, dict[str, Any]]:
    """Write the grouping, leaving out what the store holds already: households whose IDs are
    new are created, and memberships new to their household too (no MERGE looks for them).
    The grouped profiles' current memberships as written (profile id -> row)."""
    at = now_iso()
    previous = {p: str(r["householdId"]) for p, r in links.items()}
    members = [[m.profile_id for m in g.members] for g in groups]
    assignment = assign_household_ids(members, previous)
    out.profiles = sum(len(m) for m in members)
    out.households = len(groups)
    out.multi_member = sum(1 for m in members if len(m) > 1)
    out.largest = max((len(m) for m in members), default=0)
    out.kept_ids = len(set(assignment.ids) & set(previous.values()))
    out.new_ids = out.households - out.kept_ids
    out.retired_ids = len(assignment.retired)
    out.household_ids = list(assignment.ids)

    stored = {
        str(r["householdId"]): r
        for part in batched(({"id": h} for h in assignment.ids), settings.batch_size)
        for r in store.read("household_stored", ids=[x["id"] for x in part])
    }
    household_rows, new_households, link_rows, new_links = [], [], [], []
    now_in: dict[str, str] = {}
    left: dict[str, dict[str, Any]] = {}
    for hid, group in zip(assignment.ids, groups, strict=True):
        decision = next(m for m in group.members if m.role == "decision_maker")
        props = {
            "size": len(group.members),
            "addressId": group.address_id,
            "evidenceKinds": group.kinds,
            "decisionMaker": decision.profile_id,
            "absorbed": sorted(assignment.absorbed.get(hid, [])) or None,
            "splitFrom": assignment.split_from.get(hid),
        }
        held = stored.get(hid)
        if held is None:
            new_households.append({"householdId": hid, "props": props, "at": at})
        elif (
            held["status"] != "active"
            or held["mergedInto"] is not None
            or any(held[k] != props[k] for k in HOUSEHOLD_PROPS)
        ):
            household_rows.append({"householdId": hid, "props": props, "at": at})
        for m in group.members:
            now_in[m.profile_id] = hid
            row = {
                "profileId": m.profile_id,
                "householdId": hid,
                "role": m.role,
                "reason": m.reason,
                "evidence": m.evidence,
                "confidence": m.confidence,
                "at": at,
            }
            left[m.profile_id] = row
            link = links.get(m.profile_id)
            if link is None or link["householdId"] != hid:
                new_links.append(row)
            elif any(link[k] != row[k] for k in LINK_PROPS):
                link_rows.append(row)
    ended = [
        {
            "profileId": p,
            "householdId": h,
            "at": at,
            "reason": f"moved to {now_in[p]}" if p in now_in else "profile no longer active",
        }
        for p, h in previous.items()
        if now_in.get(p) != h
    ]
    out.memberships_ended = len(ended)
    before: dict[str, set[str]] = {}
    for p, h in previous.items():
        before.setdefault(h, set()).add(p)
    for hid, group in zip(assignment.ids, groups, strict=True):
        now_members = {m.profile_id for m in group.members}
        was = before.get(hid, set())
        if now_members != was:
            out.membership_changes.append(
                {
                    "householdId": hid,
                    "joined": sorted(now_members - was),
                    "left": sorted(was - now_members),
                }
            )
    for old, successor in assignment.retired.items():
        out.membership_changes.append(
            {"householdId": old, "mergedInto": successor, "left": sorted(before.get(old, set()))}
        )
    size = settings.batch_size
    bulk = not links and first_by_bulk(store, new_households, new_links)
    if not bulk:
        store.write_batches("household_create", new_households, size)
    store.write_batches("household_upsert", household_rows, size)
    store.write_batches("household_end_memberships", ended, size)
    if not bulk:
        store.write_batches("household_create_members", new_links, size)
    store.write_batches("household_link_members", link_rows, size)
    store.write_batches(
        "household_retire",
        [{"householdId": o, "successor": s, "at": at} for o, s in assignment.retired.items()],
        size,
    )
    if full:
        rows, _ = store.run_text(store.cypher("household_dissolve_empty"), {"at": at}, write=True)
    else:
        touched = sorted(set(previous.values()))
        rows, _ = store.run_text(
            store.cypher("household_dissolve_empty_of"), {"ids": touched, "at": at}, write=True
        )
    out.dissolved = int(rows[0]["dissolved"]) if rows else 0
    return left
