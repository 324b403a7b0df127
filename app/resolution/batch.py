"""Batch resolution: block, score, cluster every customer record; write MATCHES edges and
profiles with stable IDs, lineage and golden attributes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from app.resolution.blocking import BLOCKING_KEYS, candidate_pairs, key_frame, key_property
from app.resolution.cluster import apply_decisions, attach_sparse, hierarchical, score_pairs
from app.resolution.model import MatchModel, model_records
from app.resolution.profiles import assign_ids, golden
from app.resolution.records import load_records
from app.settings import Settings
from app.store import GraphStore
from app.timing import Laps

EVIDENCE = ("dateOfBirth", "email", "phone")  # plus an address or postcode, plus a name


@dataclass
class ResolveSummary:
    records: int = 0
    sparse: int = 0
    candidate_pairs: int = 0
    match_edges: int = 0
    profiles: int = 0
    kept_ids: int = 0
    new_ids: int = 0
    retired_ids: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def block_key_rows(ids: np.ndarray, keys: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for set_block_keys: each record's keys under their property names (the
    identifier keys email and phone are the record's own properties already)."""
    own = [k for k in BLOCKING_KEYS if key_property(k) not in ("email", "phone")]
    values = keys[own].astype(object).where(keys[own].notna(), None)
    props = [key_property(k) for k in own]
    return [
        {"customerId": str(cid), "keys": dict(zip(props, row, strict=True))}
        for cid, row in zip(ids, values.itertuples(index=False), strict=True)
    ]


def sparse_mask(records: pd.DataFrame) -> np.ndarray:
    """Records with fewer than two identifying facts (a name counts as one): kept as their
    own flagged profile, never merged by the model."""
    return (identifying_facts(records) < 2).to_numpy()


def identifying_facts(records: pd.DataFrame) -> pd.Series:
    """How many independent facts identify each record: a name, a birth date, an e-mail, a
    phone, a place (address or postcode)."""
    name = records["firstName"].notna() | records["lastName"].notna()
    place = records["addressId"].notna() | records["postcode"].notna()
    facts = name.astype(int) + place.astype(int)
    for c in EVIDENCE:
        facts += records[c].notna().astype(int)
    return facts


def resolve(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    console: Console | None = None,
) -> ResolveSummary:
    say = console.print if console else (lambda *a, **k: None)
    out = ResolveSummary()
    lap = Laps(out.seconds).lap

    records = load_records(store)
    ids = records.index.to_numpy()
    out.records = len(records)
    sparse = sparse_mask(records)
    out.sparse = int(sparse.sum())
    lap("read")

    keys = key_frame(records)
    store.write_batches("set_block_keys", block_key_rows(ids, keys), settings.batch_size)
    lap("write block keys")

    cand = candidate_pairs(records)
    left, right = cand.left, cand.right
    thin = sparse[left] | sparse[right]
    out.candidate_pairs = len(left)
    say(f"{len(records):,} records, {out.sparse:,} sparse, {len(left):,} candidate pairs")
    lap("block")

    recs = model_records(records)
    logits = score_pairs(model, recs, left, right, workers=settings.resolve_workers)
    prob = 1.0 / (1.0 + np.exp(-logits.astype("float64")))
    lap("score")

    # Steward decisions win over the model: as scores, and as hard constraints after.
    position = pd.Series(np.arange(len(ids)), index=ids)
    confirmed: list[tuple[int, int]] = []
    rejected: list[tuple[int, int]] = []
    for d in store.read("resolution_decisions"):
        if d["a"] in position.index and d["b"] in position.index:
            pair = (int(position[d["a"]]), int(position[d["b"]]))
            (confirmed if d["status"] == "confirmed" else rejected).append(pair)
    clustered = prob.copy()  # edges keep the model's score; clustering obeys the stewards
    if confirmed or rejected:
        decided = pd.Series(
            [1.0] * len(confirmed) + [0.0] * len(rejected),
            index=pd.MultiIndex.from_tuples([tuple(sorted(p)) for p in confirmed + rejected]),
        )
        scored = pd.MultiIndex.from_arrays([left, right])
        hit = scored.isin(decided.index)
        clustered[hit] = decided.reindex(scored[hit]).to_numpy()
    # Records with one identifying fact are placed after the others (cluster.attach_sparse).
    dense = ~thin
    clustering = hierarchical(
        len(ids), left[dense], right[dense], clustered[dense], settings.match_threshold
    )
    clustering.labels = attach_sparse(
        clustering.labels, left, right, clustered, sparse,
        settings.match_threshold, settings.sparse_threshold,
    )  # fmt: skip
    clustering.labels = apply_decisions(clustering.labels, confirmed, rejected)
    labels = pd.Series(clustering.labels, index=records.index)
    lap("cluster")

    _write_matches(store, settings, model, recs, ids, left, right, prob, out)
    lap("write edges")
    _write_profiles(store, settings, records, labels, left, right, clustered, sparse, out)
    lap("write profiles")
    return out


def match_row(
    model: MatchModel, x: str, y: str, p: float, explanation: dict[str, float], run_id: str,
    now: str,
) -> dict[str, Any]:  # fmt: skip
    """A row for upsert_matches: the pair in stored order with score and explanation."""
    a, b = sorted((x, y))
    return {
        "a": a, "b": b, "probability": round(float(p), 6),
        "explanation": json.dumps({"intercept": round(model.intercept, 4), **explanation}),
        "modelVersion": model.version, "runId": run_id, "updatedAt": now,
    }  # fmt: skip


def _write_matches(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    recs: list[dict[str, str | None]],
    ids: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    out: ResolveSummary,
) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    run_id = f"{now}/{model.version}"
    keep = np.flatnonzero(prob >= settings.match_floor)
    rows = []
    for start in range(0, len(keep), 20_000):
        idx = keep[start : start + 20_000]
        dist = model.distances([(recs[left[i]], recs[right[i]]) for i in idx])
        for i, expl in zip(idx, model.explain(dist), strict=True):
            rows.append(
                match_row(model, str(ids[left[i]]), str(ids[right[i]]), prob[i], expl, run_id, now)
            )
    store.write_batches("upsert_matches", rows, settings.batch_size)
    store.write("delete_stale_matches", runId=run_id)
    out.match_edges = len(rows)


def _write_profiles(
    store: GraphStore,
    settings: Settings,
    records: pd.DataFrame,
    labels: pd.Series,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    sparse: np.ndarray,
    out: ResolveSummary,
) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    groups = labels.groupby(labels.to_numpy()).groups
    keys = sorted(int(k) for k in groups)  # type: ignore[call-overload]
    clusters = [sorted(map(str, groups[k])) for k in keys]
    previous = {r["customerId"]: r["profileId"] for r in store.read("profile_memberships")}
    assignment = assign_ids(clusters, previous)
    out.profiles = len(clusters)
    out.kept_ids = len(set(assignment.ids) & set(previous.values()))
    out.new_ids = out.profiles - out.kept_ids
    out.retired_ids = len(assignment.retired)

    # Confidence of a record in its profile: its best in-cluster edge (1 for a singleton).
    lab = labels.to_numpy()
    same = lab[left] == lab[right]
    best = np.zeros(len(lab))
    has = np.zeros(len(lab), dtype=bool)
    for side in (left, right):
        np.maximum.at(best, side[same], prob[same])
        has[side[same]] = True
    confidence = np.where(has, best, 1.0)

    gold = golden(records, labels)
    sparse_s = pd.Series(sparse, index=records.index)
    profile_rows, link_rows = [], []
    for key, pid, members in zip(keys, assignment.ids, clusters, strict=True):
        g = gold.loc[int(key)]
        props: dict[str, Any] = {c: (None if pd.isna(g[c]) else str(g[c])) for c in gold.columns}
        props.update(
            size=len(members),
            sources=sorted({m.split(":", 1)[0] for m in members}),
            sparse=bool(len(members) == 1 and sparse_s[members[0]]),
            absorbed=sorted(assignment.absorbed.get(pid, [])) or None,
            splitFrom=assignment.split_from.get(pid),
        )
        profile_rows.append({"profileId": pid, "props": props, "at": now})
        for m in members:
            pos = records.index.get_loc(m)
            link_rows.append(
                {"customerId": m, "profileId": pid, "confidence": round(float(confidence[pos]), 6)}
            )
    store.write_batches("upsert_profiles", profile_rows, settings.batch_size)
    store.write_batches("unlink_moved_customers", link_rows, settings.batch_size)
    store.write_batches("link_profiles", link_rows, settings.batch_size)
    store.write_batches(
        "retire_profiles",
        [{"profileId": o, "successor": s, "at": now} for o, s in assignment.retired.items()],
        settings.batch_size,
    )
