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
import pandas as pd

from app.errors import InputError
from app.ingestion.fields import CUSTOMER_FIELDS
from app.ingestion.mapping import Mapping
from app.ingestion.reader import Chunk
from app.ingestion.rows import prepare_customers
from app.resolution.batch import block_key_rows, identifying_facts, match_row
from app.resolution.blocking import key_frame, key_property
from app.resolution.model import MatchModel, model_records
from app.resolution.profiles import new_profile_id
from app.resolution.stewards import refresh_profiles
from app.settings import Settings
from app.store import GraphStore


@dataclass
class RealtimeResult:
    customer_id: str
    profile_id: str
    action: str  # founded | joined | bridged | kept
    matches: list[tuple[str, float]] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    milliseconds: float = 0.0


def _identity_mapping(source: str) -> Mapping:
    return Mapping(source=source, kind="customers", columns={f: f for f in CUSTOMER_FIELDS})


def upsert_record(
    store: GraphStore, settings: Settings, model: MatchModel, source: str, record: dict[str, Any]
) -> RealtimeResult:
    started = time.perf_counter()
    unknown = sorted(set(record) - set(CUSTOMER_FIELDS))
    if unknown:
        raise InputError(f"unknown field(s) {unknown}; customer fields are {list(CUSTOMER_FIELDS)}")
    frame = pd.DataFrame([{k: (None if v is None else str(v)) for k, v in record.items()}],
                         dtype="str")  # fmt: skip
    prepared = prepare_customers(
        Chunk(frame, [1]), _identity_mapping(source), file="api",
        max_len=settings.max_field_length, country=settings.default_country, seen={},
    )  # fmt: skip
    if prepared.quarantined:
        raise InputError(f"record refused: {prepared.quarantined[0]['reason']}")
    for name, rows in prepared.writes.items():
        if rows:
            store.write(name, rows=rows)
    customer_id = prepared.writes["upsert_customers"][0]["customerId"]

    # The record as resolution sees it, read back normalised.
    rec = pd.DataFrame(store.read("customer_model_fields", ids=[customer_id])).set_index(
        "customerId"
    )
    keys = key_frame(rec)
    store.write("set_block_keys", rows=block_key_rows(rec.index.to_numpy(), keys))
    facts = int(identifying_facts(rec).iloc[0])
    params = {key_property(str(k)): (None if pd.isna(v) else v) for k, v in keys.iloc[0].items()}
    candidates = [] if facts < 2 else sorted(
        {r["customerId"] for r in store.read("realtime_candidates", **params)} - {customer_id}
    )  # fmt: skip
    matches: list[tuple[str, float]] = []
    if candidates:
        others = pd.DataFrame(store.read("customer_model_fields", ids=candidates)).set_index(
            "customerId"
        )
        mine = model_records(rec)[0]
        theirs = model_records(others)
        pairs = [(mine, t) for t in theirs]
        dist = model.distances(pairs)
        prob = 1.0 / (1.0 + np.exp(-model.logits(dist)))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows = []
        for other, p, expl in zip(others.index, prob, model.explain(dist), strict=True):
            if p >= settings.match_floor:
                rows.append(match_row(model, customer_id, str(other), p, expl, f"rt/{now}", now))
            if p >= settings.match_threshold:
                matches.append((str(other), round(float(p), 6)))
        if rows:
            store.write("upsert_matches", rows=rows)
    result = _place(store, settings, customer_id, matches)
    result.milliseconds = round((time.perf_counter() - started) * 1000, 2)
    return result


def _place(
    store: GraphStore, settings: Settings, customer_id: str, matches: list[tuple[str, float]]
) -> RealtimeResult:
    """Join the profile of the matched records; several profiles are bridged into the
    largest; no match founds a profile. Steward rejections are respected by the batch run."""
    rejected = {r["b"] for r in store.read("rejections_of", ids=[customer_id])}
    matches = [(o, p) for o, p in matches if o not in rejected]
    ids = [customer_id, *(o for o, _ in matches)]
    current = {r["customerId"]: r for r in store.read("realtime_profiles_of", ids=ids)}
    mine = current.get(customer_id)
    targets = sorted(
        {(r["profileId"], r["size"] or 0) for o, r in current.items() if o != customer_id},
        key=lambda t: (-t[1], t[0]),
    )
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    confidence = max((p for _, p in matches), default=1.0)
    retired: list[str] = []
    if not targets:
        if mine:
            return RealtimeResult(customer_id, mine["profileId"], "kept", matches)
        pid, action = new_profile_id([customer_id]), "founded"
        store.write("upsert_profiles", rows=[{"profileId": pid, "props": {}, "at": at}])
    else:
        pid = targets[0][0]
        action = "joined" if len(targets) == 1 else "bridged"
        for other_pid, _ in targets[1:]:
            moved = store.read("profile_memberships_all", profileId=other_pid)
            members = [{"customerId": m["customerId"], "profileId": pid, "confidence": 1.0}
                       for m in moved]  # fmt: skip
            store.write("unlink_moved_customers", rows=members)
            store.write("link_profiles", rows=members)
            store.write(
                "retire_profiles", rows=[{"profileId": other_pid, "successor": pid, "at": at}]
            )
            retired.append(other_pid)
    link = [{"customerId": customer_id, "profileId": pid, "confidence": confidence}]
    store.write("unlink_moved_customers", rows=link)
    store.write("link_profiles", rows=link)
    if mine and mine["profileId"] != pid and (mine["size"] or 0) <= 1:
        store.write(
            "retire_profiles", rows=[{"profileId": mine["profileId"], "successor": pid, "at": at}]
        )
        retired.append(mine["profileId"])
    refresh_profiles(store, settings, [pid])
    return RealtimeResult(customer_id, pid, action, matches, retired)
