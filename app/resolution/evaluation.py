"""`idgraph evaluate`: the current profiles against ground truth, and what the same
clustering (app/resolution/cluster.py, with the sparse rule and stewards' decisions) gives
at other thresholds from the stored edges. Records of the truth that are not in the graph
(quarantined, never loaded) count as profiles of their own: a recall that ignored them
would flatter the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.errors import ConfigError
from app.resolution.batch import decision_pairs
from app.resolution.cluster import cluster
from app.resolution.component import complete_pairs
from app.resolution.evaluate import Scores, bcubed, pairwise
from app.resolution.fields import derive
from app.resolution.linkonly import groups_of, one_to_one_of
from app.resolution.model import MatchModel, saved_model
from app.resolution.records import load_records
from app.settings import Settings
from app.store import GraphStore


@dataclass
class Row:
    label: str
    pairwise: Scores
    bcubed: Scores


@dataclass
class Evaluation:
    rows: list[Row]
    missing: int  # truth records not in the graph, counted as singletons
    records: int  # truth records


def with_missing(predicted: pd.Series, truth: pd.Series) -> pd.Series:
    """Every record of the truth: its cluster, or a cluster of its own when the graph does
    not have it."""
    out = predicted.reindex(truth.index)
    absent = out.isna()
    out = out.astype(object)
    out[absent] = ["missing:" + str(i) for i in truth.index[absent]]
    return out


def evaluate_store(
    store: GraphStore, settings: Settings, truth: pd.Series, thresholds: list[float]
) -> Evaluation:
    members = pd.DataFrame(store.read("profile_memberships"), columns=["customerId", "profileId"])
    current = pd.Series(members["profileId"].to_numpy(), index=members["customerId"])
    missing = int((~truth.index.isin(current.index)).sum())
    rows = [_row("current profiles", with_missing(current, truth), truth)]
    graph = pd.DataFrame(store.read("evaluation_graph"), columns=["customerId", "sparse", "edges"])
    if not len(graph) or not thresholds:
        return Evaluation(rows, missing, len(truth))
    ids = graph["customerId"].to_numpy()
    position = pd.Series(np.arange(len(ids)), index=ids)
    left, right, prob = [], [], []
    for a, edges in zip(graph["customerId"], graph["edges"], strict=True):
        for other, p in edges or []:
            if a < other and other in position.index:
                left.append(position[a])
                right.append(position[other])
                prob.append(float(p or 0.0))
    decisions = decision_pairs(store.read("resolution_decisions"), position)
    sparse = graph["sparse"].fillna(False).to_numpy(dtype=bool)
    left_, right_ = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    prob_ = np.asarray(prob, dtype=np.float64)
    against = None
    exclusive = None
    try:
        model: MatchModel | None = saved_model(settings.model_file)
    except ConfigError:
        model = None  # edges without a model to score the rest: every pair counts
    if model is not None:
        # the pairs batch clustered: the stored edges and the pairs below the floor again
        records = load_records(store, settings.read_page).reindex(ids)
        groups = groups_of(records["source"], model.link_only, settings.link_only)
        left_, right_, prob_, against = complete_pairs(
            model,
            derive(records, model.common),
            sparse,
            left_,
            right_,
            prob_,
            settings,
            decisions,
            groups,
        )
        exclusive = one_to_one_of(groups, model, settings)
    for t in thresholds:
        clustering = cluster(
            len(ids),
            left_,
            right_,
            prob_,
            t,
            sparse=sparse,
            decisions=decisions,
            floor=settings.match_floor,
            sparse_threshold=settings.sparse_threshold,
            cap=settings.component_cap,
            against=against,
            against_full=settings.against_full,
            exclusive=exclusive,
        )
        labels = pd.Series(clustering.labels, index=ids).astype(str)
        rows.append(_row(f"threshold {t:g}", with_missing(labels, truth), truth))
    return Evaluation(rows, missing, len(truth))


def _row(label: str, predicted: pd.Series, truth: pd.Series) -> Row:
    return Row(label, pairwise(predicted, truth), bcubed(predicted, truth))
