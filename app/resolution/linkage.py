"""Average linkage over a component's pairs, with pairs that do not count, pairs that may
never meet and groups that start as one (app/resolution/cluster.py uses it)."""

from __future__ import annotations

import numpy as np


def average_linkage(
    dist: np.ndarray,
    weight: np.ndarray,
    forbid: np.ndarray,
    group: np.ndarray,
    threshold: float,
) -> list[np.ndarray]:
    """Agglomerative clustering of k items (symmetric k x k matrices): the distance of two
    clusters is the weighted mean of their pairs' distances (weight 0: the pair does not
    count; no pair with weight: no merge), a forbidden pair keeps its two clusters apart, and
    items of one `group` (>= 0) are one cluster from the start. The closest two clusters
    merge while they are within 1 - threshold; ties go to the lowest positions. Merge
    heights never decrease, so cutting higher only splits clusters."""
    k = len(dist)
    total = dist * weight
    count = weight.astype(np.float64).copy()
    np.fill_diagonal(count, 0.0)
    np.fill_diagonal(total, 0.0)
    forbid = forbid.copy()
    active = np.ones(k, dtype=bool)
    parts: dict[int, list[int]] = {i: [i] for i in range(k)}

    def merge(i: int, j: int) -> None:
        total[i] += total[j]
        count[i] += count[j]
        forbid[i] |= forbid[j]
        total[:, i], count[:, i], forbid[:, i] = total[i], count[i], forbid[i]
        total[i, i] = count[i, i] = 0.0
        active[j] = False
        parts[i] += parts.pop(j)

    first: dict[int, int] = {}
    for i in range(k):
        if group[i] >= 0:
            j = first.setdefault(int(group[i]), i)
            if j != i:
                merge(j, i)

    def height(i: int) -> np.ndarray:
        row = np.full(k, np.inf)
        np.divide(total[i], count[i], out=row, where=active & (count[i] > 0) & ~forbid[i])
        row[i] = np.inf
        return row

    # Every row's height() at once: the same quotients, one array operation. Quotients are
    # written in place (`where`), not gathered and scattered: most components are small, and
    # each merge's few array operations are most of its cost.
    ok = active[:, None] & active[None, :] & (count > 0) & ~forbid
    heights = np.full((k, k), np.inf)
    np.divide(total, count, out=heights, where=ok)
    np.fill_diagonal(heights, np.inf)
    flat = heights.ravel()  # a view: argmin and the test below read the matrix as it changes
    cut = 1.0 - threshold
    while True:
        at = int(flat.argmin())
        if not flat[at] <= cut:
            break
        i, j = divmod(at, k)
        i, j = min(i, j), max(i, j)
        merge(i, j)
        heights[j, :] = heights[:, j] = np.inf
        row = height(i)
        heights[i, :] = heights[:, i] = row
    return [np.array(sorted(p), dtype=np.int64) for p in parts.values()]
