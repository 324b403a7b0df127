"""Scoring pairs in slices (app/resolution/scoring.py): the same levels and log-odds in one
process, on forked workers, and from several threads at once (the API's reads and writes
score in threads of one process)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.blocking import candidate_pairs
from app.resolution.model import DECIMALS
from app.resolution.scoring import pair_levels, score_pairs
from app.resolution.training import TrainingSet, train

THREADS = 8


# Forking warns when the process has other threads (a library's own pool here); the workers
# only compute on what they inherit, as batch resolve's always have.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_pairs_score_alike_in_one_process_on_workers_and_in_threads_at_once(
    synth_records: pd.DataFrame,
) -> None:
    ts = TrainingSet.build(synth_records, {})
    model, _ = train(ts, [])
    cand = candidate_pairs(ts.cols, model.rules, 50, None)
    left, right = cand.left, cand.right
    levels, logits = score_pairs(model, ts.cols, left, right, workers=1)
    assert len(logits) > 1000

    forked = score_pairs(model, ts.cols, left, right, workers=2, chunk=len(left) // 5 + 1)
    assert np.array_equal(forked[0], levels) and np.array_equal(forked[1], logits)
    assert np.array_equal(pair_levels(ts.comparisons, ts.cols, left, right, 2), levels)

    def every_kth(k: int) -> tuple[np.ndarray, np.ndarray]:  # small slices: many turns
        return score_pairs(model, ts.cols, left[k::THREADS], right[k::THREADS], 1, chunk=20)

    with ThreadPoolExecutor(THREADS) as pool:
        parts = list(pool.map(every_kth, range(THREADS)))
    for k, (lv, lo) in enumerate(parts):
        assert np.array_equal(lv, levels[k::THREADS]) and np.array_equal(lo, logits[k::THREADS])


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=-999.0, max_value=999.0, allow_nan=False))
def test_a_log_odds_comes_back_from_the_store_as_scored(logit: float) -> None:
    """score_pairs rounds log-odds to DECIMALS places; FalkorDB prints a double to 15
    significant digits (%.15g). A log-odds under 1000 so rounded reads back as the same
    double, so the stored probability is the one computed from the log-odds read."""
    rounded = float(np.round(logit, DECIMALS))
    assert float(f"{rounded:.15g}") == rounded
