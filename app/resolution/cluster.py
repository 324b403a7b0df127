"""Scoring candidate pairs in parallel chunks and clustering the scores into profiles."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from app.resolution.model import MatchModel, Record

# Worker state: set before the pool forks, so records are shared, not pickled per task.
_WORK: tuple[MatchModel, list[np.ndarray], np.ndarray, np.ndarray] | None = None


def _score_slice(bounds: tuple[int, int]) -> tuple[int, np.ndarray]:
    assert _WORK is not None
    model, columns, left, right = _WORK
    lo, hi = bounds
    distances = model.distances_between(columns, left[lo:hi], right[lo:hi])
    return lo, model.logits(distances).astype("float32")


def score_pairs(
    model: MatchModel,
    recs: list[Record],
    left: np.ndarray,
    right: np.ndarray,
    workers: int | None = None,
    chunk: int = 50_000,
    on_chunk: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Logit of a match for every candidate pair. Chunks go to `workers` forked processes
    (default: one per core); memory holds the records once plus one chunk per worker."""
    global _WORK
    n = len(left)
    logits = np.empty(n, dtype="float32")
    bounds = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    _WORK = (model, model.columns(recs), left, right)
    try:
        if workers <= 1 or len(bounds) <= 1:
            results = map(_score_slice, bounds)
            for lo, part in results:
                logits[lo : lo + len(part)] = part
                if on_chunk:
                    on_chunk(len(part))
        else:
            with ProcessPoolExecutor(workers) as pool:
                for lo, part in pool.map(_score_slice, bounds):
                    logits[lo : lo + len(part)] = part
                    if on_chunk:
                        on_chunk(len(part))
    finally:
        _WORK = None
    return logits


@dataclass
class Clustering:
    labels: np.ndarray  # cluster number per record position


def connected(n: int, left: np.ndarray, right: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Cluster number per record: connected components of the kept pairs."""
    graph = coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def hierarchical(
    n: int, left: np.ndarray, right: np.ndarray, probability: np.ndarray, threshold: float
) -> Clustering:
    """dedupe's clustering: components of the scored pairs, each split by centroid-linkage
    hierarchical clustering at 1 - threshold, so a weak chain does not glue two people."""
    from dedupe.clustering import cluster as dedupe_cluster

    # Pairs far below the threshold cannot join anything but would chain whole towns into
    # one component, whose pairwise distance matrix grows with its size squared.
    keep = probability >= threshold / 2
    labels = np.arange(n)
    # Components of two records need no linkage: together if their one pair makes it.
    component = connected(n, left, right, keep)
    size = np.bincount(component, minlength=n)
    pair_only = keep & (size[component[left]] == 2)
    joined = pair_only & (probability >= threshold)
    labels[right[joined]] = left[joined]
    # Components where every pair is scored at or above the threshold end as one cluster
    # under centroid linkage (each merge height is at most the largest pairwise distance),
    # so they need no linkage either: that is most people with three or more records.
    strong = np.bincount(component[left[keep & (probability >= threshold)]], minlength=n)
    clique = (size > 2) & (strong == size * (size - 1) // 2)
    in_clique = clique[component]
    first = np.full(n, n, dtype=np.int64)
    np.minimum.at(first, component, np.arange(n))
    labels[in_clique] = first[component[in_clique]]
    rest = keep & ~pair_only & ~clique[component[left]]
    scored = np.empty(int(rest.sum()), dtype=[("pairs", "i8", 2), ("score", "f4")])
    scored["pairs"] = np.column_stack([left[rest], right[rest]])
    scored["score"] = probability[rest]
    for members, _ in dedupe_cluster(scored, threshold=threshold):
        ids = np.fromiter(members, dtype=np.int64)
        labels[ids] = ids.min()
    return Clustering(labels=labels)


def attach_sparse(
    labels: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    sparse: np.ndarray,
    threshold: float,
    sparse_threshold: float,
) -> np.ndarray:
    """Sparse records (one identifying fact) after the others are clustered: each joins the
    cluster of its best partner when that pair reaches sparse_threshold and every partner at
    or above the operational threshold lies in that one cluster. A name shared by several
    people is no evidence for any of them, and a sparse record never bridges two clusters."""
    labels = labels.copy()
    thin_left, thin_right = sparse[left], sparse[right]
    one = thin_left ^ thin_right  # a sparse record and a dense one
    keep = one & (probability >= threshold)
    frame = pd.DataFrame({
        "sparse": np.where(thin_left[keep], left[keep], right[keep]),
        "cluster": labels[np.where(thin_left[keep], right[keep], left[keep])],
        "p": probability[keep],
    })  # fmt: skip
    if frame.empty:
        return labels
    per = frame.groupby("sparse").agg(clusters=("cluster", "nunique"), best=("p", "max"),
                                      cluster=("cluster", "first"))  # fmt: skip
    sure = per[(per["clusters"] == 1) & (per["best"] >= sparse_threshold)]
    labels[sure.index.to_numpy()] = sure["cluster"].to_numpy()
    return labels


def apply_decisions(
    labels: np.ndarray, confirmed: list[tuple[int, int]], rejected: list[tuple[int, int]]
) -> np.ndarray:
    """Steward decisions as hard constraints on a clustering: records confirmed as one
    person end in one cluster (their clusters are joined); of a rejected pair found in one
    cluster, the second record leaves it for a cluster of its own."""
    labels = labels.copy()
    if confirmed:
        n = int(labels.max()) + 1 if len(labels) else 0
        a = np.array([labels[i] for i, _ in confirmed])
        b = np.array([labels[j] for _, j in confirmed])
        graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
        _, joined = connected_components(graph, directed=False)
        labels = joined[labels]
    fresh = int(labels.max()) + 1 if len(labels) else 0
    for i, j in rejected:
        if labels[i] == labels[j]:
            labels[j] = fresh
            fresh += 1
    return labels
