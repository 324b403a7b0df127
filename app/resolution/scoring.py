"""Scoring candidate pairs (levels and log-odds of a match) in chunks on forked workers."""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from app.gcpause import frozen_for_fork
from app.resolution.columns import Columns
from app.resolution.comparisons import Comparison, level_matrix
from app.resolution.model import DECIMALS, MatchModel

# Worker state: set before the pool forks, so records are shared, not pickled per task.
Work = Callable[[Columns, np.ndarray, np.ndarray], Any]
_WORK: tuple[Work, Columns, np.ndarray, np.ndarray] | None = None
_FORKING = threading.Lock()


def _slice(bounds: tuple[int, int]) -> tuple[int, Any]:
    assert _WORK is not None
    work, cols, left, right = _WORK
    lo, hi = bounds
    return lo, work(cols, left[lo:hi], right[lo:hi])


def in_chunks(
    work: Work,
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    workers: int | None = None,
    chunk: int = 100_000,
) -> Iterator[tuple[int, Any]]:
    """work(cols, left[lo:hi], right[lo:hi]) for consecutive slices of the pairs, each with
    its start, in order: on `workers` forked processes (default: one per core) when there is
    more than one slice, in this process otherwise. Memory holds the records once plus a
    slice each."""
    global _WORK
    n = len(left)
    left, right = np.asarray(left), np.asarray(right)
    bounds = [(lo, min(lo + chunk, n)) for lo in range(0, n, chunk)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(bounds) <= 1:
        for lo, hi in bounds:  # no shared state: threads (the API's) may score at once
            yield lo, work(cols, left[lo:hi], right[lo:hi])
        return
    # The workers inherit the work when they fork, which a fork-started pool does for all
    # of them as map submits the slices; one pool is set up at a time.
    with _FORKING:
        _WORK = (work, cols, left, right)
        try:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            with frozen_for_fork():
                results = pool.map(_slice, bounds)
        finally:
            _WORK = None
    with pool:
        yield from results


def score_pairs(
    model: MatchModel,
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    workers: int | None = None,
    chunk: int = 100_000,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Levels and log-odds of a match for every pair, in chunks on `workers` processes. The
    log-odds are rounded to DECIMALS places, as MATCHES edges store them: FalkorDB gives a
    double back to 15 significant digits, and a log-odds under 1000 to 12 places comes back
    exactly, so the probability computed from it is the one a reader computes from the
    log-odds they read."""
    n = len(left)
    logits = np.empty(n, dtype=np.float64)
    levels = np.empty((n, len(model.comparisons)), dtype=np.int8)

    def work(c: Columns, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lv = model.levels(c, a, b)
        return lv, model.logits(lv, c, a)

    for lo, (lv, part) in in_chunks(work, cols, left, right, workers, chunk):
        levels[lo : lo + len(part)] = lv
        logits[lo : lo + len(part)] = np.round(part, DECIMALS)
        if on_chunk:
            on_chunk(len(part))
    return levels, logits


def pair_levels(
    comparisons: Sequence[Comparison],
    cols: Columns,
    left: np.ndarray,
    right: np.ndarray,
    workers: int | None = None,
) -> np.ndarray:
    """level_matrix of the pairs, one slice per worker process."""
    workers = workers or os.cpu_count() or 1

    def work(c: Columns, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return level_matrix(comparisons, c, a, b)

    share = max(1, math.ceil(len(left) / workers))
    parts = [lv for _, lv in in_chunks(work, cols, left, right, workers, share)]
    return np.vstack(parts) if parts else np.zeros((0, len(comparisons)), dtype=np.int8)
