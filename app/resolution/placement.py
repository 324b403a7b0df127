"""Placing records into profiles: one step shared by batch resolution (every record), real
time (the component a new record touches) and stewards' actions (the component they
changed). Cluster the scored pairs, give the clusters IDs by the one ID rule, and write
profiles, memberships and lineage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from app.changefeed import FeedEvent, feed_wanted, profile_changes
from app.resolution.cluster import Decisions, cluster
from app.resolution.linkonly import OneToOne
from app.resolution.profiles import Assignment, Churn, assign_ids, golden, golden1
from app.settings import Settings
from app.store import GraphStore
from app.store.writer import BackgroundWriter

# Below this many clusters, golden attributes are computed per cluster without pandas.
FEW_CLUSTERS = 64


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Placement:
    ids: list[str]  # record ids in the order of the inputs
    labels: np.ndarray  # cluster label per record
    clusters: list[list[str]]
    assignment: Assignment
    churn: Churn
    capped: list[int] = field(default_factory=list)  # components cut down to the cap
    profile_of: dict[str, str] = field(default_factory=dict)  # record -> profile id
    # record -> its confidence as written (None: alone in its profile)
    confidence: dict[str, float | None] = field(default_factory=dict)
    changes: list[FeedEvent] = field(default_factory=list)  # for the change feed


def confidence(
    labels: np.ndarray, left: np.ndarray, right: np.ndarray, prob: np.ndarray
) -> np.ndarray:
    """A record's confidence in its profile: its most probable pair inside the cluster
    (NaN for a record alone: no edge says anything)."""
    best = np.full(len(labels), -np.inf)
    same = labels[left] == labels[right]
    for side in (left, right):
        np.maximum.at(best, side[same], prob[same])
    return np.where(np.isinf(best), np.nan, best)


def confidences(
    ids: Sequence[str], labels: np.ndarray, left: np.ndarray, right: np.ndarray, prob: np.ndarray
) -> dict[str, float | None]:
    """Each record's confidence as a membership stores it: rounded to 12 places, None for a
    record alone."""
    conf = confidence(labels, left, right, prob)
    return {m: None if np.isnan(c) else round(float(c), 12) for m, c in zip(ids, conf, strict=True)}


def ids_taken(store: GraphStore, proposed: list[str]) -> set[str]:
    """Which of `proposed` name a profile the graph holds (active or retired)."""
    return {r["profileId"] for r in store.read("profile_ids_taken", ids=proposed)}


def place(
    store: GraphStore,
    settings: Settings,
    records: pd.DataFrame | Sequence[Mapping[str, Any]],
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    *,
    sparse: np.ndarray,
    against: np.ndarray | None,
    decisions: Decisions,
    previous: Mapping[str, str],
    created: Mapping[str, str],
    write: bool = True,
    stored: Stored | None = None,
    writer: BackgroundWriter | None = None,
    ids_used: bool = True,
    exclusive: OneToOne | None = None,
) -> Placement:
    """Cluster `records` (a frame indexed by customerId with the golden-attribute fields as
    columns, as batch reads every record; or the same as rows with a customerId, as a
    component is read) from their scored pairs (positions in `records`) and, with `write`,
    store the result: all of it, or with `stored` (what the store holds) only what changed;
    through `writer` when given (in the background), else at once. `ids_used=False`: the
    graph holds no profile (the caller knows it), so the store is not asked which of the
    new profiles' IDs were used before."""
    if isinstance(records, pd.DataFrame):
        ids = [str(i) for i in records.index]
    else:
        ids = [str(r["customerId"]) for r in records]
    n = len(ids)
    clustering = cluster(
        n,
        left,
        right,
        prob,
        settings.match_threshold,
        sparse=sparse,
        decisions=decisions,
        floor=settings.match_floor,
        sparse_threshold=settings.sparse_threshold,
        cap=settings.component_cap,
        against=against,
        against_full=settings.against_full,
        exclusive=exclusive,
    )
    labels = clustering.labels
    order: dict[int, list[str]] = {}
    for i, lab in enumerate(labels):
        order.setdefault(int(lab), []).append(ids[i])
    keys = sorted(order)
    clusters = [sorted(order[k]) for k in keys]
    assignment = assign_ids(
        clusters,
        previous,
        created=created,
        taken=partial(ids_taken, store) if ids_used else None,
    )
    profile_of = {
        m: pid for pid, members in zip(assignment.ids, clusters, strict=True) for m in members
    }
    out = Placement(
        ids=ids,
        labels=labels,
        clusters=clusters,
        assignment=assignment,
        churn=assignment.churn(clusters, previous),
        capped=clustering.capped,
        profile_of=profile_of,
        confidence=confidences(ids, labels, left, right, prob),
    )
    gold_rows = golden_rows(records, labels, keys, settings.source_trust)
    if feed_wanted(settings):
        if stored is not None:
            golden_before: Mapping[str, Mapping[str, Any]] = stored.profiles
        else:
            olds = sorted(set(previous.values()))
            golden_before = {r["profileId"]: r for r in store.read("profile_golden_of", ids=olds)}
        out.changes = profile_changes(
            assignment.ids,
            clusters,
            previous,
            assignment.absorbed,
            assignment.split_from,
            golden_before,
            gold_rows,
        )
    if write:
        jobs = writes(gold_rows, sparse, out, previous, stored)
        for name, rows in jobs:
            if writer is not None:
                writer.put(name, rows)
            else:
                store.write_batches(name, rows, settings.batch_size)
    return out


def _plain(value: Any) -> Any:
    """A frame's cell as a plain value: None for a missing one (NaN, NA, NaT)."""
    return None if not isinstance(value, str | list | tuple) and pd.isna(value) else value


def golden_rows(
    records: pd.DataFrame | Sequence[Mapping[str, Any]],
    labels: np.ndarray,
    keys: Sequence[int],
    trust: Sequence[str],
) -> list[dict[str, Any]]:
    """Each cluster's golden attributes, in the order of `keys`: by column over a frame
    with many clusters (batch), else one profile at a time over plain rows (golden1; the
    two are tested equal on generated input)."""
    if isinstance(records, pd.DataFrame):
        if len(keys) > FEW_CLUSTERS:
            gold = golden(records, pd.Series(labels, index=records.index), trust)
            gold = gold.reindex([int(k) for k in keys])
            names = [str(c) for c in gold.columns]
            # Column by column, missing cells found at once (pd.isna cell by cell was 5.8 s
            # of a million-record resolve).
            columns = []
            for c in gold.columns:
                values = gold[c].to_numpy(dtype=object)
                missing = pd.isna(values).tolist()
                columns.append(
                    [None if m else str(v) for v, m in zip(values.tolist(), missing, strict=True)]
                )
            return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        # A few wide rows as plain dicts (a missing value as None): pandas' astype/where/
        # to_dict on them took 5 ms of a 25 ms real-time placement.
        names = [str(records.index.name or "index"), *(str(c) for c in records.columns)]
        rows: Sequence[Mapping[str, Any]] = [
            dict(zip(names, (key, *map(_plain, row)), strict=True))
            for key, row in zip(records.index, records.to_numpy(dtype=object), strict=True)
        ]
    else:
        # A component's rows as read (up to the component cap): a frame built from them
        # for the column path took 16 ms of a 300-record real-time placement.
        rows = records
    members: dict[int, list[Mapping[str, Any]]] = {}
    for row, label in zip(rows, labels.tolist(), strict=True):
        members.setdefault(int(label), []).append(row)
    return [golden1(members[int(k)], trust) for k in keys]


def writes(
    gold_rows: list[dict[str, Any]],
    sparse: np.ndarray,
    out: Placement,
    previous: Mapping[str, str],
    stored: Stored | None = None,
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The writes that store a placement, leaving out what the store holds already
    (`stored`: memberships' confidences and profiles' properties as stored)."""
    at = now_iso()
    assignment = out.assignment
    position = {cid: i for i, cid in enumerate(out.ids)}
    profile_rows, link_rows, moved = [], [], []
    for pid, members, gold in zip(assignment.ids, out.clusters, gold_rows, strict=True):
        props: dict[str, Any] = {
            **gold,
            "size": len(members),
            "sources": sorted({m.split(":", 1)[0] for m in members}),
            "sparse": bool(len(members) == 1 and sparse[position[members[0]]]),
        }
        absorbed = sorted(assignment.absorbed.get(pid, []))
        split_from = assignment.split_from.get(pid)
        if stored is None or absorbed or split_from or stored.profiles.get(pid) != props:
            profile_rows.append(
                {
                    "profileId": pid,
                    "props": props,
                    "at": at,
                    "absorbed": absorbed,
                    "splitFrom": split_from,
                }
            )
        for m in members:
            value = out.confidence[m]
            was = previous.get(m)
            if was is not None and was != pid:
                moved.append({"customerId": m, "profileId": pid})
            if stored is None or was != pid or stored.confidence.get(m) != value:
                link_rows.append({"customerId": m, "profileId": pid, "confidence": value})
    retired = [{"profileId": o, "successor": s, "at": at} for o, s in assignment.retired.items()]
    return [
        ("upsert_profiles", profile_rows),
        ("unlink_moved_customers", moved),
        ("link_profiles", link_rows),
        ("retire_profiles", retired),
    ]


@dataclass
class Stored:
    """What the store holds of the placed records' profiles, to write only what changed."""

    confidence: dict[str, float | None] = field(default_factory=dict)  # record -> confidence
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> properties


PROFILE_PROPS = ("size", "sources", "sparse")


def stored_profiles(store: GraphStore, ids: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """Active profiles' placement properties (golden attributes, size, sources, sparse): of
    `ids`, or of every profile."""
    rows = (
        store.read("profile_placement_props_all")
        if ids is None
        else store.read("profile_placement_props", ids=list(ids))
    )
    return {str(r["profileId"]): dict(r["props"]) for r in rows}
