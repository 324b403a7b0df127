"""Scoring candidate pairs (levels and log-odds of a match) in chunks on forked workers."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from app.resolution.fields import Columns
from app.resolution.model import MatchModel

# Worker state: set before the pool forks, so records are shared, not pickled per task.
_WORK: tuple[MatchModel, Columns, np.ndarray, np.ndarray] | None = None


def _score_slice(bounds: tuple[int, int]) -> tuple[int, np.ndarray, np.ndarray]:
    assert _WORK is not None
    model, cols, left, right = _WORK
    lo, hi = bounds
    levels = model.levels(cols, left[lo:hi], right[lo:hi])
    return lo, levels, model.logits(levels, cols, left[lo:hi])


def score_pairs(
    model: MatchModel,
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    workers: int | None = None,
    chunk: int = 100_000,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Levels and log-odds of a match for every pair. Chunks go to `workers` forked
    processes (default: one per core); memory holds the records once plus a chunk each."""
    global _WORK
    n = len(left)
    logits = np.empty(n, dtype=np.float64)
    levels = np.empty((n, len(model.comparisons)), dtype=np.int8)
    bounds = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    _WORK = (model, cols, np.asarray(left), np.asarray(right))
    try:
        if workers <= 1 or len(bounds) <= 1:
            results = map(_score_slice, bounds)
            for lo, lv, part in results:
                levels[lo : lo + len(part)] = lv
                logits[lo : lo + len(part)] = part
                if on_chunk:
                    on_chunk(len(part))
        else:
            with ProcessPoolExecutor(workers) as pool:
                for lo, lv, part in pool.map(_score_slice, bounds):
                    levels[lo : lo + len(part)] = lv
                    logits[lo : lo + len(part)] = part
                    if on_chunk:
                        on_chunk(len(part))
    finally:
        _WORK = None
    return levels, logits
