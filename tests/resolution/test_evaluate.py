import numpy as np
import pandas as pd
import pytest

from app.resolution.evaluate import bcubed, pair_recall, pairwise


def series(mapping: dict[str, str]) -> pd.Series:
    return pd.Series(mapping)


TRUTH = series({"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P3"})


def test_perfect_clustering_scores_one() -> None:
    predicted = series({"a": "x", "b": "x", "c": "x", "d": "y", "e": "z"})
    assert pairwise(predicted, TRUTH).f1 == 1.0
    assert bcubed(predicted, TRUTH).f1 == 1.0


def test_split_person_loses_recall_not_precision() -> None:
    predicted = series({"a": "x", "b": "x", "c": "w", "d": "y", "e": "z"})
    s = pairwise(predicted, TRUTH)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(1 / 3)  # (a,b) found of (a,b) (a,c) (b,c)
    b = bcubed(predicted, TRUTH)
    assert b.precision == 1.0
    assert b.recall == pytest.approx((2 / 3 * 2 + 1 / 3 + 1 + 1) / 5)


def test_over_merge_loses_precision() -> None:
    predicted = series({"a": "x", "b": "x", "c": "x", "d": "x", "e": "z"})
    s = pairwise(predicted, TRUTH)
    assert s.recall == 1.0
    assert s.precision == pytest.approx(3 / 6)


def test_pair_recall_counts_true_pairs_among_candidates() -> None:
    person = np.array(["P1", "P1", "P1", "P2"])
    pairs = np.array([[0, 1], [1, 3]])
    assert pair_recall(pairs, person) == pytest.approx(1 / 3)
