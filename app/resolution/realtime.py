"""Real-time resolution of one record: upsert it, find candidates through the blocking-key
indexes kept on Customer nodes, score with the saved model, and join, bridge or found a
profile without a batch run. The nightly (or on-demand) batch run remains the reference:
it re-clusters everything and may refine what this path decided."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.errors import InputError
from app.ingestion.fields import CUSTOMER_FIELDS
from app.ingestion.mapping import Mapping
from app.ingestion.rows import prepare_customer_record
from app.resolution.batch import EVIDENCE, match_row
from app.resolution.blocking import key_property, keys1
from app.resolution.model import MatchModel, model_record1
from app.resolution.profiles import golden1, new_profile_id
from app.resolution.stewards import refresh_profiles
from app.settings import Settings
from app.store import GraphStore

NO_KEY = "<no key>"


@dataclass
class RealtimeResult:
    customer_id: str
    profile_id: str
    action: str  # founded | joined | bridged | kept
    matches: list[tuple[str, float]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    milliseconds: float = 0.0


def identifying_facts1(record: dict[str, Any]) -> int:
    """`batch.identifying_facts` for one record."""
    name = record.get("firstName") is not None or record.get("lastName") is not None
    place = record.get("addressId") is not None or record.get("postcode") is not None
    return int(name) + int(place) + sum(record.get(c) is not None for c in EVIDENCE)


def _identity_mapping(source: str) -> Mapping:
    return Mapping(source=source, kind="customers", columns={f: f for f in CUSTOMER_FIELDS})


def upsert_record(
    store: GraphStore, settings: Settings, model: MatchModel, source: str, record: dict[str, Any]
) -> RealtimeResult:
    started = time.perf_counter()
    unknown = sorted(set(record) - set(CUSTOMER_FIELDS))
    if unknown:
        raise InputError(f"unknown field(s) {unknown}; customer fields are {list(CUSTOMER_FIELDS)}")
    # One record: the scalar twins of the ingestion and resolution functions (pandas'
    # per-call overhead would cost more than everything else here together).
    prepared = prepare_customer_record(
        record, _identity_mapping(source), file="api", row=1,
        max_len=settings.max_field_length, country=settings.default_country,
    )  # fmt: skip
    if prepared.quarantined:
        raise InputError(f"record refused: {prepared.quarantined[0]['reason']}")
    if prepared.blanked:  # the caller still refuses a bad value instead of loading without it
        bad = prepared.blanked[0]
        raise InputError(
            f"record refused: {bad['reason']} '{bad['value']}' (column {bad['column']})"
        )
    w = prepared.writes
    upserted = w["upsert_customers"][0]
    customer_id, props = upserted["customerId"], upserted["props"]
    keys = keys1(props)
    own = {key_property(k): v for k, v in keys.items() if key_property(k) not in ("email", "phone")}
    # Written with the placement, in one round trip at the end (realtime_write).
    write = {
        "customerId": customer_id, "props": {**props, **own, "stub": None},
        "identifierKeys": w["unlink_stale_identifiers"][0]["keys"],
        "emails": [r["email"] for r in w["link_emails"]],
        "phones": [r["phone"] for r in w["link_phones"]],
        "addresses": [{"addressId": r["addressId"], "props": r["props"]}
                      for r in w["link_addresses"]],
        "devices": [{"deviceId": r["deviceId"], "seen": r["seen"]} for r in w["link_devices"]],
        "accounts": [{"accountId": r["accountId"], "role": r["role"]} for r in w["link_accounts"]],
    }  # fmt: skip
    candidates: list[str] = []
    name_count: int | None = None
    if identifying_facts1(props) >= 1:
        # A null parameter makes FalkorDB filter a label scan instead of using the index;
        # a value no key can have keeps every branch an index lookup.
        params = {key_property(k): (NO_KEY if v is None else v) for k, v in keys.items()}
        found = [r for r in store.read("realtime_candidates", **params)
                 if r["customerId"] != customer_id]  # fmt: skip
        candidates = sorted({r["customerId"] for r in found})
        # How many records carry the record's name key, itself included: the name frequency
        # the model compares (model_record1 caps it at NAME_COUNT_CAP).
        named = sum(r["key"] == "bkFormalNames" for r in found)
        name_count = named + (params.get("bkFormalNames", NO_KEY) != NO_KEY) or None
    # One read for everything placing needs: candidates' fields, profiles, members, decisions
    # (and the record as stored before this change, if it was).
    context = store.read("realtime_candidate_context", ids=[customer_id, *candidates],
                         me=customer_id)  # fmt: skip
    others = [r for r in context if r["customerId"] != customer_id]
    mine = next((r for r in context if r["customerId"] == customer_id), None)
    pairs: list[dict[str, Any]] = []
    matches: list[tuple[str, float]] = []
    if others:
        # Only records with the same name key compare name frequency; they share its count.
        record = model_record1(props, name_count)
        dist = model.distances([(record, model_record1(o, name_count)) for o in others])
        prob = 1.0 / (1.0 + np.exp(-model.logits(dist)))
        now = _now()
        for other, p, expl in zip(others, prob, model.explain(dist), strict=True):
            other_id = str(other["customerId"])
            if p >= settings.match_floor:
                pairs.append(match_row(model, customer_id, other_id, p, expl, f"rt/{now}", now))
            if p >= settings.match_threshold:
                matches.append((other_id, round(float(p), 6)))
        matches = _usable(settings, identifying_facts1(props) < 2, others, matches)
    me = {**props, "customerId": customer_id}
    result = _place(store, settings, me, write, mine, others, matches, pairs)
    result.milliseconds = round((time.perf_counter() - started) * 1000, 2)
    return result


def _usable(
    settings: Settings, sparse: bool, others: list[dict[str, Any]], matches: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """The matches placing may follow, by batch's rules (cluster.attach_sparse): sparse
    records link no one; a sparse record joins only a single profile it matches, and only
    when its best pair reaches the sparse threshold."""
    info = {str(o["customerId"]): o for o in others}
    dense = [(o, p) for o, p in matches if identifying_facts1(info[o]) >= 2]
    if not sparse:
        return dense
    profiles = {info[o]["profileId"] for o, _ in dense}
    if len(profiles) != 1 or max(p for _, p in dense) < settings.sparse_threshold:
        return []
    return dense


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _place(
    store: GraphStore,
    settings: Settings,
    me: dict[str, Any],
    write: dict[str, Any],
    mine: dict[str, Any] | None,
    others: list[dict[str, Any]],
    matches: list[tuple[str, float]],
    pairs: list[dict[str, Any]],
) -> RealtimeResult:
    """Join the profile of the matched records; several profiles are bridged into the
    largest; no match founds a profile (or keeps a known record where it is). Steward
    rejections hold. One write stores the record and places it (`write`: the record's part);
    bridges and moves take a few more."""
    customer_id = str(me["customerId"])
    rejected = {r["customerId"] for r in others if "rejected" in (r["statuses"] or [])}
    matches = [(o, p) for o, p in matches if o not in rejected]
    matched = {o for o, _ in matches}
    placed = {r["customerId"]: r for r in others if r["customerId"] in matched and r["profileId"]}
    own = mine if mine is not None and mine["profileId"] is not None else None
    targets = sorted(
        {(r["profileId"], r["size"] or 0) for r in placed.values()}, key=lambda t: (-t[1], t[0])
    )
    if targets:
        pid = targets[0][0]
        members = next(r["members"] for r in placed.values() if r["profileId"] == pid)
    elif own is not None:
        pid, members = own["profileId"], own["members"]
    else:
        pid, members = new_profile_id([customer_id]), []
    # The profile's golden attributes with the record in it (a bridge refreshes them below).
    group = [m for m in members if m["customerId"] != customer_id] + [me]
    golden = golden1(group)
    golden.update(size=len(group), sources=sorted({str(m["source"]) for m in group}))
    at = _now()
    confidence = max((p for _, p in matches), default=1.0)
    store.write("realtime_write", rows=[{**write, "profileId": pid, "profile": golden, "at": at,
                                         "confidence": confidence, "matches": pairs}])  # fmt: skip
    if len(targets) <= 1 and (own is None or not targets or own["profileId"] == pid):
        # Founded, joined or kept: that one write was all.
        action = "kept" if own is not None else "joined" if targets else "founded"
        return RealtimeResult(customer_id, pid, action, matches)
    # A bridge of several profiles, or a known record that moved to another profile.
    retired: list[str] = []
    for other_pid, _ in targets[1:]:
        moved = store.read("profile_memberships_all", profileId=other_pid)
        members = [{"customerId": m["customerId"], "profileId": pid, "confidence": 1.0}
                   for m in moved]  # fmt: skip
        store.write("realtime_link_profile", rows=members)
        store.write("retire_profiles", rows=[{"profileId": other_pid, "successor": pid, "at": at}])
        retired.append(other_pid)
    refresh = [pid]
    if own is not None and own["profileId"] != pid:
        if (own["size"] or 0) <= 1:
            store.write(
                "retire_profiles",
                rows=[{"profileId": own["profileId"], "successor": pid, "at": at}],
            )
            retired.append(own["profileId"])
        else:
            refresh.append(own["profileId"])  # the profile it left keeps the others
    refresh_profiles(store, settings, refresh)
    action = "bridged" if len(targets) > 1 else "joined"
    return RealtimeResult(customer_id, pid, action, matches, retired)
