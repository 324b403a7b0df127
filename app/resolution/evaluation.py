"""`idgraph evaluate`: current profiles and re-clustered thresholds against ground truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.resolution.cluster import hierarchical
from app.resolution.evaluate import Scores, bcubed, pairwise
from app.store import GraphStore


@dataclass
class Row:
    label: str
    pairwise: Scores
    bcubed: Scores


def evaluate_store(store: GraphStore, truth: pd.Series, thresholds: list[float]) -> list[Row]:
    members = pd.DataFrame(store.read("profile_memberships"))
    rows = []
    if len(members):
        current = pd.Series(members["profileId"].to_numpy(), index=members["customerId"])
        rows.append(Row("current profiles", pairwise(current, truth), bcubed(current, truth)))
    edges = pd.DataFrame(store.read("match_edges"), columns=["a", "b", "probability", "status"])
    ids = pd.Index(sorted(set(members.get("customerId", [])) | set(edges["a"]) | set(edges["b"])))
    if not len(ids):
        return rows
    left = ids.get_indexer(edges["a"])
    right = ids.get_indexer(edges["b"])
    prob = edges["probability"].astype(float).to_numpy()
    prob = np.where(edges["status"] == "confirmed", 1.0, prob)
    prob = np.where(edges["status"] == "rejected", 0.0, prob)
    for t in thresholds:
        labels = pd.Series(hierarchical(len(ids), left, right, prob, t).labels, index=ids)
        rows.append(Row(f"threshold {t:g}", pairwise(labels, truth), bcubed(labels, truth)))
    return rows
