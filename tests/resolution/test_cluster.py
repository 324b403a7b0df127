"""Our shortcuts around dedupe's clustering give the partition dedupe's own gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dedupe.clustering import cluster as dedupe_cluster

from app.resolution.cluster import hierarchical


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == v).tolist()) for v in np.unique(labels)}


def test_shortcuts_match_dedupes_centroid_linkage() -> None:
    rng = np.random.default_rng(3)
    pairs = []
    start = 0
    for _ in range(300):  # people of 1-6 records; within a group some pairs are missing
        size = int(rng.integers(1, 7))
        for i in range(start, start + size):
            for j in range(i + 1, start + size):
                if rng.random() < 0.85:
                    pairs.append((i, j, float(rng.choice([rng.uniform(0.6, 1), rng.uniform()]))))
        start += size
    n = start
    left, right, p = (np.array(c) for c in zip(*pairs, strict=True))
    ours = hierarchical(n, left, right, p, threshold=0.3).labels

    keep = p >= 0.15
    scored = np.empty(int(keep.sum()), dtype=[("pairs", "i8", 2), ("score", "f4")])
    scored["pairs"] = np.column_stack([left[keep], right[keep]])
    scored["score"] = p[keep]
    theirs = np.arange(n)
    for members, _ in dedupe_cluster(scored, threshold=0.3):
        theirs[list(members)] = min(members)
    assert _partition(ours) == _partition(theirs)
    sizes = pd.Series(ours).value_counts()
    assert (sizes >= 3).sum() > 20 and (sizes == 2).sum() > 20  # the shortcuts were used
