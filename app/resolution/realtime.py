"""Real-time resolution of one record: upsert it, find candidates through the blocking keys
kept on Customer nodes (same rules and block cap as batch), score it against the records
of the component it joins, and place that component by the same clustering and ID rule as
batch (app/resolution/placement.py). Re-running batch on the same data gives the same
profiles."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.changefeed import FeedEvent
from app.errors import InputError
from app.ingestion.addresses import refresh_addresses
from app.ingestion.fields import ATTRIBUTE_PREFIX, CUSTOMER_FIELDS
from app.ingestion.mapping import ATTRIBUTE_NAME, ATTRIBUTE_NAME_RULE, Mapping
from app.ingestion.record import prepare_customer_record
from app.ingestion.rows import attr_property
from app.resolution.batch import match_rows
from app.resolution.blocking import record_keys, rule_key1, rule_property
from app.resolution.columns import declared, stack
from app.resolution.component import pairs_to_complete, read_component
from app.resolution.fields import derive1
from app.resolution.fields import sparse as sparse_records
from app.resolution.linkonly import linkable, one_to_one_of
from app.resolution.model import DECIMALS, MatchModel, probability
from app.resolution.placement import Stored, now_iso, place, stored_profiles
from app.resolution.scoring import score_pairs
from app.settings import Settings
from app.store import GraphStore, marks
from app.store.base import CYPHER_DIR, safe_identifier

MAX_ATTRIBUTES = 100  # attributes an update sends, given or cleared (app.flows.upsert)
TEMPLATE = CYPHER_DIR / "templates" / "realtime_candidates.cypher.part"
SELF = CYPHER_DIR / "templates" / "realtime_self.cypher.part"
# Threads for the read that runs beside each placement's scoring (a few requests at once
# share them; a read waits its turn when both are busy).
_READER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="realtime-read")


@dataclass
class RealtimeResult:
    customer_id: str
    profile_id: str
    action: str  # founded | joined | bridged | kept | moved
    matches: list[tuple[str, float]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    changed_profiles: list[str] = field(default_factory=list)  # every profile it touched
    capped_keys: list[str] = field(default_factory=list)  # blocks over the cap, not used
    # The component was over the component cap: placed within the part read, nearest the
    # record, where batch clusters it whole (the next batch run may move records).
    component_capped: bool = False
    blanked: list[dict[str, Any]] = field(default_factory=list)  # bad values left out
    changes: list[FeedEvent] = field(default_factory=list)  # for the change feed
    milliseconds: float = 0.0


@lru_cache(maxsize=32)
def candidates_query(properties: tuple[str, ...]) -> str:
    """The candidate lookup for a model's rules: whether the graph holds the record ($me),
    then one indexed lookup per rule property."""
    branch = _template(TEMPLATE)
    parts = [
        branch.replace("{property}", safe_identifier(p)).replace("{param}", f"k{i}")
        for i, p in enumerate(properties)
    ]
    return "\nUNION ALL\n".join([_template(SELF), *parts])


def _template(path: Path) -> str:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


def record_mapping(
    source: str, identifier_types: dict[str, str], attributes: Iterable[str] = ()
) -> Mapping:
    """A record in canonical field names, declared identifier types and attributes (by
    their property, `attr_<name>`), as the API and the CLI take it."""
    columns = {f: f for f in CUSTOMER_FIELDS}
    columns.update({t: t for t in identifier_types})
    return Mapping(
        source=source,
        kind="customers",
        columns=columns,
        identifiers=dict(identifier_types),
        attributes={attr_property(name): name for name in attributes},
    )


def attribute_names(record: dict[str, Any], most: int | None = None) -> list[str]:
    """The attributes a record carries (keys `attr_<name>`), by name; a name a mapping could
    not declare (app/ingestion/mapping.py, ATTRIBUTE_NAME), or more than `most` of them, is
    refused. (An update is held to MAX_ATTRIBUTES, app.flows.upsert; the record it makes
    with the stored ones is not: a mapping keeps as many as its columns.)"""
    given = [k for k in record if k.startswith(ATTRIBUTE_PREFIX)]
    if most is not None and len(given) > most:
        raise InputError(
            f"{len(given)} attributes: a record sent carries at most {most} (each is a "
            "property of the record)"
        )
    names = sorted(k.removeprefix(ATTRIBUTE_PREFIX) for k in given)
    bad = [n for n in names if not ATTRIBUTE_NAME.match(n)]
    if bad:
        raise InputError(f"attribute name(s) {bad} are not usable: {ATTRIBUTE_NAME_RULE}")
    return names


@marks.unit_of_work
def upsert_record(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    source: str,
    record: dict[str, Any],
    identifier_types: dict[str, str] | None = None,
) -> RealtimeResult:
    """Load one record (new or changed) and place it: its canonical fields, declared
    identifiers by type and attributes by property (`attr_<name>`; one given as None is
    cleared, one not given is kept). A bad value is left out and listed in `blanked`; a bad
    key or an unknown field refuses the record."""
    started = time.perf_counter()
    types = dict(identifier_types or {})
    attributes = attribute_names(record)
    given = {k for k in record if not k.startswith(ATTRIBUTE_PREFIX)}
    unknown = sorted(given - set(CUSTOMER_FIELDS) - set(types))
    if unknown:
        raise InputError(
            f"unknown field(s) {unknown}; customer fields are {list(CUSTOMER_FIELDS)}, "
            f"declared identifier types {sorted(types) or 'none'}"
        )
    prepared = prepare_customer_record(
        record,
        record_mapping(source, types, attributes),
        file="api",
        row=1,
        max_len=settings.max_field_length,
        country=settings.default_country,
        identifier_types=types,
        earliest_year=settings.earliest_birth_year,
    )
    if prepared.quarantined:
        raise InputError(f"record refused: {prepared.quarantined[0]['reason']}")
    w = prepared.writes
    upserted = w["upsert_customers"][0]
    customer_id, props = str(upserted["customerId"]), dict(upserted["props"])
    me = {**props, "customerId": customer_id}
    derived = derive1(me, model.common)
    mine = stack([derived])
    sparse_me = bool(sparse_records(mine)[0])
    texts = {rule_property(r): rule_key1(derived, r) for r in model.rules}
    keys, digest = record_keys(texts, sparse_me)  # the keys as the graph holds them

    # Candidates: records sharing a rule's value, a rule whose block is over the cap skipped;
    # and whether the graph holds the record already.
    found: dict[str, list[str]] = {}
    present = [(p, v) for p, v in keys.items() if v is not None]
    text = candidates_query(tuple(p for p, _ in present))
    params = {f"k{i}": v for i, (_, v) in enumerate(present)}
    rows, _ = store.run_text(
        text, {**params, "me": customer_id, "limit": settings.block_cap}, write=False
    )
    known = any(r["customerId"] == customer_id for r in rows)
    for r in rows:
        if r["customerId"] != customer_id:
            found.setdefault(r["key"], []).append(r["customerId"])
    capped = sorted(k for k, v in found.items() if len(v) + 1 > settings.block_cap)
    candidates = sorted({c for k, v in found.items() if k not in capped for c in v})

    # The component the record joins: its candidates' components and its own, if known (a
    # new record without candidates has none to read).
    extra = {**me, "identifiers": _identifiers(props), "edges": []}
    comp = read_component(
        store,
        settings,
        [customer_id, *candidates] if known else candidates,
        exclude=customer_id,
        extra=extra,
        common=model.common,
    )
    # What the component's profiles hold, read while the pairs are scored and clustered:
    # placement writes only the profiles and memberships that change.
    profiles = _READER.submit(
        copy_context().run, stored_profiles, store, sorted(set(comp.previous.values()))
    )
    n = len(comp.ids)
    me_at = comp.position[customer_id]
    ids = np.asarray(comp.ids, dtype=object)

    # Pairs: the stored edges between the others, the record against each of them (in
    # link-only mode those of the other linked sources), and pairs in one component that no
    # rule put together (as batch completes them).
    groups = comp.groups(model, settings)
    others_at = np.array([i for i in range(n) if i != me_at], dtype=np.int64)
    others_at = others_at[linkable(groups, others_at, np.full(len(others_at), me_at))]
    new_left = np.minimum(others_at, me_at)
    new_right = np.maximum(others_at, me_at)
    levels, logits = score_pairs(model, comp.cols, new_left, new_right, workers=1)
    new_prob = np.round(probability(logits), DECIMALS)
    left, right = np.r_[comp.left, new_left], np.r_[comp.right, new_right]
    prob = np.r_[comp.prob, new_prob]
    more_left, more_right = pairs_to_complete(
        settings, left, right, prob, comp.sparse, comp.decisions, groups
    )
    if len(more_left):
        more_levels, more_logits = score_pairs(model, comp.cols, more_left, more_right, workers=1)
        more_prob = np.round(probability(more_logits), DECIMALS)
        new_left, new_right = np.r_[new_left, more_left], np.r_[new_right, more_right]
        levels = np.vstack([levels, more_levels])
        logits, new_prob = np.r_[logits, more_logits], np.r_[new_prob, more_prob]
        left, right, prob = np.r_[left, more_left], np.r_[right, more_right], np.r_[prob, more_prob]

    at = now_iso()
    keep = np.flatnonzero(new_prob >= settings.match_floor)
    pairs = match_rows(
        model,
        comp.cols,
        ids,
        new_left[keep],
        new_right[keep],
        levels[keep],
        logits[keep],
        new_prob[keep],
        f"rt/{at}",
        at,
    )
    # Addresses the record lives at before and after: their properties are chosen again
    # from the records living there (app/ingestion/addresses.py), not left to the last writer.
    # A record the component read did not find (and the read was whole) lives nowhere yet.
    addresses: set[str] = set()
    if comp.replaced is not None or comp.capped:
        addresses = {r["addressId"] for r in store.read("customer_addresses", ids=[customer_id])}
    # The record against each other it was scored with: (other, probability).
    scored = [
        (str(ids[b if a == me_at else a]), float(p))
        for a, b, p in zip(new_left, new_right, new_prob, strict=True)
        if me_at in (a, b)
    ]
    # Its stored model edges to records it now scores under the floor go: they would
    # otherwise stay with their old probability, and the dial and the next upsert nearby
    # would read them (batch deletes them on its next run).
    below = [other for other, p in scored if p < settings.match_floor]
    row = _record_row(w, customer_id, props, keys, digest, sparse_me, pairs)
    store.write("realtime_write", rows=[row])
    if below:  # (batch's deletion of edges it no longer keeps: a steward's edge stays)
        stale = [{"a": min(customer_id, o), "b": max(customer_id, o)} for o in below]
        store.write("delete_matches", rows=stale)
    addresses.update(r["addressId"] for r in w["link_addresses"])
    refresh_addresses(store, addresses, settings.source_trust)
    placement = place(
        store,
        settings,
        comp.rows,
        left,
        right,
        prob,
        sparse=comp.sparse,
        # stored edges are at or above the floor: they count fully whatever their fields say
        against=np.r_[np.zeros(len(comp.left)), model.against(levels)],
        decisions=comp.decisions,
        previous=comp.previous,
        created=comp.created,
        stored=Stored(confidence=comp.confidence, profiles=profiles.result()),
        exclusive=one_to_one_of(groups, model, settings),
    )
    previous = comp.previous
    pid = placement.profile_of[customer_id]
    matches = sorted((other, p) for other, p in scored if p >= settings.match_threshold)
    old_pid = previous.get(customer_id)
    action = _action(placement, customer_id, old_pid, pid)
    changed = sorted(
        {
            placement.profile_of[c]
            for c in placement.ids
            if placement.profile_of[c] != previous.get(c)
        }
        | {pid}
    )
    return RealtimeResult(
        customer_id=customer_id,
        profile_id=pid,
        action=action,
        matches=matches,
        retired=sorted(placement.assignment.retired),
        changed_profiles=changed,
        capped_keys=capped,
        component_capped=comp.capped,
        blanked=list(prepared.blanked),
        changes=placement.changes,
        milliseconds=round((time.perf_counter() - started) * 1000, 2),
    )


def _action(placement: Any, customer_id: str, old_pid: str | None, pid: str) -> str:
    members = next(c for c in placement.clusters if customer_id in c)
    if placement.assignment.retired:
        return "bridged"
    if old_pid == pid:
        return "kept"
    if old_pid is not None:
        return "moved"
    return "joined" if len(members) > 1 else "founded"


def _identifiers(props: dict[str, Any]) -> list[list[Any]]:
    return [[k, v] for k, v in props.items() if declared(k) and v is not None]


def _record_row(
    w: dict[str, list[dict[str, Any]]],
    customer_id: str,
    props: dict[str, Any],
    keys: dict[str, int | None],
    digest: str,
    sparse: bool,
    pairs: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "customerId": customer_id,
        "props": {
            **props,
            **keys,
            "stub": None,
            "sparse": True if sparse else None,
            "blockHash": digest,
        },
        "blockingKeys": sorted(keys),
        "identifierKeys": w["unlink_stale_identifiers"][0]["keys"],
        "emails": [r["email"] for r in w["link_emails"]],
        "phones": [r["phone"] for r in w["link_phones"]],
        "addresses": [
            {"addressId": r["addressId"], "props": r["props"]} for r in w["link_addresses"]
        ],
        "devices": [{"deviceId": r["deviceId"], "seen": r["seen"]} for r in w["link_devices"]],
        "accounts": [{"accountId": r["accountId"], "role": r["role"]} for r in w["link_accounts"]],
        "identifiers": [
            {"identifierId": r["identifierId"], "type": r["type"], "value": r["value"]}
            for r in w.get("link_identifiers", [])
        ],
        "matches": pairs,
    }
