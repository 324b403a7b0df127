"""A piece of the match graph read back from the store: the records around some seeds (up
to the component cap), their stored MATCHES edges, stewards' decisions and current
profiles. Real time, the confidence dial and stewards' actions re-cluster one of these with
the same function batch uses, so their answers equal what batch would give."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.resolution.cluster import Decisions, missing_pairs
from app.resolution.columns import ATTRIBUTE_PREFIX, Columns, stack
from app.resolution.common import Common
from app.resolution.fields import RECORD_FIELDS, derive1
from app.resolution.fields import sparse as sparse_records
from app.resolution.linkonly import OneToOne, groups_of, one_to_one_of
from app.resolution.model import DECIMALS, MatchModel, probability
from app.resolution.scoring import score_pairs
from app.settings import Settings
from app.store import GraphStore


@dataclass
class Component:
    ids: list[str]  # customerIds in order: positions in the pairs below
    rows: list[dict[str, Any]]  # the records as read (fields, identifiers, edges), in order
    cols: Columns
    sparse: np.ndarray
    left: np.ndarray
    right: np.ndarray
    prob: np.ndarray
    decisions: Decisions
    previous: dict[str, str]  # record -> current profile
    confidence: dict[str, float | None]  # record -> its stored confidence in that profile
    created: dict[str, str]  # profile -> createdAt
    capped: bool = False  # the component is bigger than the cap: records were left out
    replaced: dict[str, Any] | None = None  # the stored version of `exclude`, if any

    @property
    def position(self) -> dict[str, int]:
        return {cid: i for i, cid in enumerate(self.ids)}

    def groups(self, model: MatchModel | None, settings: Settings) -> np.ndarray | None:
        """The records' link groups in link-only mode (`linkonly.groups_of`), else None."""
        link = model.link_only if model is not None else []
        return groups_of((r.get("source") for r in self.rows), link, settings.link_only)

    def exclusive(self, model: MatchModel | None, settings: Settings) -> OneToOne | None:
        """The one-to-one constraint as batch applies it (`linkonly.one_to_one_of`)."""
        if model is None:
            return None
        return one_to_one_of(self.groups(model, settings), model, settings)


def fields_of(row: dict[str, Any]) -> dict[str, Any]:
    """A record's fields as derive1 reads them (declared identifiers and attributes as
    id_* and attr_* keys)."""
    out = {k: row.get(k) for k in RECORD_FIELDS}
    for name, value in row.get("identifiers") or []:
        out[name] = value
    return out


def with_kept_attributes(new: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A record's new version with the attributes its stored version has and it does not
    give: the graph keeps an attribute a record sent in real time leaves out
    (upsert_customers sets what a record gives), so batch compares it. One the record gives
    as None (cleared: a key of `new`) is not taken back."""
    given = {name for name, _ in new.get("identifiers") or []} | set(new)
    kept = [
        [name, value]
        for name, value in stored.get("identifiers") or []
        if name.startswith(ATTRIBUTE_PREFIX) and name not in given
    ]
    return {**new, "identifiers": [*(new.get("identifiers") or []), *kept]} if kept else new


def component_rows(
    store: GraphStore, seeds: list[str], cap: int
) -> tuple[list[dict[str, Any]], bool]:
    """The records connected to `seeds` by stored MATCHES edges (all at or above the floor:
    the component batch clusters), at most `cap` of them, in customerId order, and whether
    the component is bigger (records of it were left out). Read a step at a time: the seeds,
    then the records their edges reach and were not read, and so on, so that a dense
    component costs its edges, not its paths; over the cap, the seeds (in the caller's
    order; a seed the graph does not hold takes no place) and the records nearest them are
    kept. Until 2026-12-07 one read went four edges out: it cut longer chains, and took
    seconds on a dense component."""
    found: dict[str, dict[str, Any]] = {}
    ids = list(dict.fromkeys(seeds))
    cut = False
    while ids:
        rows = {str(r["customerId"]): r for r in store.read("realtime_component", ids=ids)}
        step = [rows[i] for i in ids if i in rows]
        room = cap - len(found)
        cut = cut or len(step) > room
        found.update((str(r["customerId"]), r) for r in step[:room])
        reached = sorted({str(e["other"]) for r in step[:room] for e in r.get("edges") or []})
        more = [i for i in reached if i not in found]  # records the graph holds (edge ends)
        cut = cut or len(more) > cap - len(found)
        ids = more[: cap - len(found)]
    return [found[k] for k in sorted(found)], cut


def read_component(
    store: GraphStore,
    settings: Settings,
    seeds: list[str],
    *,
    exclude: str | None = None,
    extra: dict[str, Any] | None = None,
    common: Common | None = None,
) -> Component:
    """The component around `seeds` as stored. `exclude` leaves a record out (real time:
    the record being replaced) and `extra` adds one (its new version, fields and
    identifiers), with no pairs yet. `common`: the model's values too common to be
    evidence, taken as missing (common.without_common)."""
    rows, cut = component_rows(store, seeds, settings.component_cap)
    replaced = next((r for r in rows if r["customerId"] == exclude), None)
    kept = [r for r in rows if not r.get("stub") and r["customerId"] != exclude]
    if extra is not None:
        kept.append(extra if replaced is None else with_kept_attributes(extra, replaced))
    # Records in customerId order, as batch reads them: linkage breaks ties between equal
    # scores by position, so the same records in the same order give the same clusters.
    kept.sort(key=lambda r: str(r["customerId"]))
    # Every stored row in play: the kept ones and the stored version of `exclude`.
    listed = kept if replaced is None else [*kept, replaced]
    cols = stack([derive1(fields_of(r), common) for r in kept])
    position = {str(r["customerId"]): i for i, r in enumerate(kept)}
    pairs: dict[tuple[int, int], tuple[float, str]] = {}
    for r in kept:
        a = position[str(r["customerId"])]
        for e in r.get("edges") or []:
            b = position.get(str(e["other"]))
            if b is None or b == a or e["other"] == exclude:
                continue
            pairs[(min(a, b), max(a, b))] = (float(e["probability"] or 0.0), str(e["status"]))
    decisions = Decisions()
    if exclude is not None and extra is not None:
        me = position[str(extra["customerId"])]
        for other, status in decided_with(listed, exclude).items():
            if other not in position:
                continue
            pair = (position[other], me)
            (decisions.confirmed if status == "confirmed" else decisions.rejected).append(pair)
    left, right, prob = [], [], []
    for (a, b), (p, status) in sorted(pairs.items()):
        left.append(a)
        right.append(b)
        prob.append(p)
        if status == "confirmed":
            decisions.confirmed.append((a, b))
        elif status == "rejected":
            decisions.rejected.append((a, b))
    placed = [r for r in listed if r.get("profileId")]
    previous = {str(r["customerId"]): r["profileId"] for r in placed}
    confidence = {str(r["customerId"]): r.get("confidence") for r in placed}
    return Component(
        ids=[str(r["customerId"]) for r in kept],
        rows=kept,
        cols=cols,
        sparse=sparse_records(cols),
        left=np.asarray(left, dtype=np.int64),
        right=np.asarray(right, dtype=np.int64),
        prob=np.asarray(prob, dtype=np.float64),
        decisions=decisions,
        previous=previous,
        confidence=confidence,
        created={r["profileId"]: r.get("createdAt") or "" for r in rows if r.get("profileId")},
        capped=cut,
        replaced=replaced,
    )


def scored_pairs(
    comp: Component, settings: Settings, model: MatchModel | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The component's pairs as batch clusters them: its stored edges and, with the model,
    the pairs of records in one component (of pairs at or above the floor) that have no
    stored edge (scored below the floor, or never compared), scored now, with how hard its
    fields push against a match (`MatchModel.against`; stored edges count fully whatever
    their fields say). Without a model the unstored pairs stay unscored and every pair
    counts."""
    if model is None:
        return comp.left, comp.right, comp.prob, None
    return complete_pairs(
        model,
        comp.cols,
        comp.sparse,
        comp.left,
        comp.right,
        comp.prob,
        settings,
        comp.decisions,
        comp.groups(model, settings),
    )


def pairs_to_complete(
    settings: Settings,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    sparse: np.ndarray,
    decisions: Decisions,
    groups: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs besides (left, right) that clustering needs scored (`missing_pairs` at the
    settings' floor and component cap): batch, real time and `complete_pairs` alike."""
    return missing_pairs(
        len(sparse),
        left,
        right,
        prob,
        settings.match_floor,
        sparse,
        settings.component_cap,
        decisions,
        groups,
    )


def complete_pairs(
    model: MatchModel,
    cols: Columns,
    sparse: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    settings: Settings,
    decisions: Decisions,
    groups: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stored edges (left, right, prob: at or above the floor) and the pairs of records in one
    component of them that have none, scored with the model; the log-odds each pair's fields
    push against a match (0 for the stored edges: they count fully whatever their fields
    say)."""
    more_left, more_right = pairs_to_complete(
        settings, left, right, prob, sparse, decisions, groups
    )
    against = np.zeros(len(left))
    if len(more_left):
        workers = None if len(more_left) > 200_000 else 1
        levels, logits = score_pairs(model, cols, more_left, more_right, workers=workers)
        left, right = np.r_[left, more_left], np.r_[right, more_right]
        prob = np.r_[prob, np.round(probability(logits), DECIMALS)]
        against = np.r_[against, model.against(levels)]
    return left, right, prob, against


def decided_with(rows: list[dict[str, Any]], customer_id: str) -> dict[str, str]:
    """Stewards' decisions stored between `customer_id` and the other records, from the
    edges listed on `rows` (on its own row, and on the other's)."""
    out = {}
    for r in rows:
        for e in r.get("edges") or []:
            if e["status"] not in ("confirmed", "rejected"):
                continue
            if e["other"] == customer_id:
                out[str(r["customerId"])] = str(e["status"])
            elif r["customerId"] == customer_id:
                out[str(e["other"])] = str(e["status"])
    return out
