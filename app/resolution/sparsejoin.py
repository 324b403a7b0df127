"""The sparse rule: records with a single identifying fact (a call with only a name) take
no part in linkage and join a cluster afterwards only on strong, unambiguous evidence
(`cluster.cluster` calls it in every path; docs/resolution.md, "One clustering")."""

from __future__ import annotations

import itertools

import numpy as np


def attach_sparse(
    labels: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    sparse: np.ndarray,
    threshold: float,
    sparse_threshold: float,
    rejected: set[tuple[int, int]] | None = None,
    component: np.ndarray | None = None,
) -> np.ndarray:
    """Sparse records (one identifying fact) after the others are clustered: each joins the
    cluster of its best dense partner when that pair reaches both the sparse and the
    clustering threshold, every dense partner that reaches the sparse threshold lies in
    that one cluster, and no record it was rejected with is in that partner's `component`
    (of the match graph, which holds the cluster at any threshold) or, if sparse, has a
    dense partner there. A name shared by several people is no evidence for any of them,
    and a sparse record never bridges two clusters; a weak partner elsewhere (a pair above
    0 but below the sparse threshold) does not hold it back, so what it joins does not
    depend on how many weak pairs blocking happened to find. None of these conditions gets
    easier as the threshold rises (the sparse threshold is fixed), so a higher threshold
    can only keep a sparse record out."""
    labels = np.asarray(labels)
    out = labels.copy()
    one = sparse[left] ^ sparse[right]
    keep = one & (np.asarray(prob) > 0)
    if not keep.any():
        return out
    thin = np.where(sparse[left[keep]], left[keep], right[keep])
    other = np.where(sparse[left[keep]], right[keep], left[keep])
    p = np.asarray(prob)[keep]
    order = np.argsort(thin, kind="stable")
    thin, other, p = thin[order], other[order], p[order]
    bounds = np.flatnonzero(np.r_[True, thin[1:] != thin[:-1], True])
    need = max(threshold, sparse_threshold)
    refused: dict[int, set[int]] = {}
    for a, b in rejected or ():
        refused.setdefault(a, set()).add(b)
        refused.setdefault(b, set()).add(a)
    home = labels if component is None else component
    # A sparse record's homes are those of all its dense partners: two sparse records a
    # steward rejected never join one cluster, whichever of them is looked at first.
    homes: dict[int, set[int]] = {}
    if refused:
        for t, o in zip(thin.tolist(), home[other].tolist(), strict=True):
            homes.setdefault(t, set()).add(o)

    def homes_of(q: int) -> set[int]:
        return homes.get(q, set()) if sparse[q] else {int(home[q])}

    for lo, hi in itertools.pairwise(bounds):
        best = lo + int(np.argmax(p[lo:hi]))
        target = labels[other[best]]
        strong = p[lo:hi] >= sparse_threshold
        if p[best] < need or np.any(labels[other[lo:hi]][strong] != target):
            continue
        record = int(thin[lo])
        if record in refused:
            goal = home[other[best]]
            if any(goal in homes_of(q) for q in refused[record]):
                continue
        out[record] = target
    return out
