import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage

from app.resolution.linkage import average_linkage


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == v).tolist()) for v in np.unique(labels)}


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(2, 12),
    seed=st.integers(0, 2**32 - 1),
    t=st.floats(0.05, 0.95),
)
def test_when_every_pair_counts_the_linkage_is_scipys_average_linkage(k, seed, t) -> None:
    """`average_linkage` with every pair weighing 1 cuts the same tree as SciPy's UPGMA
    (distances drawn at random, so no two merges tie)."""
    rng = np.random.default_rng(seed)
    dist = np.triu(rng.random((k, k)), 1)
    dist = dist + dist.T
    ours = average_linkage(dist, np.ones((k, k)), np.zeros((k, k), dtype=bool), np.full(k, -1), t)
    tree = linkage(dist[np.triu_indices(k, 1)], method="average")
    flat = fcluster(tree, 1 - t, criterion="distance")
    assert {frozenset(g.tolist()) for g in ours} == _partition(flat)
