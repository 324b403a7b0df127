"""Quality of a clustering against ground truth: pairwise and B-cubed precision/recall/F1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(sizes: pd.Series | np.ndarray) -> float:
    n = np.asarray(sizes, dtype="float64")
    return float((n * (n - 1) / 2).sum())


def _joined(predicted: pd.Series, truth: pd.Series) -> pd.DataFrame:
    """Records present in both, as (cluster, person) labels; extra records are ignored."""
    both = pd.DataFrame({"cluster": predicted}).join(pd.DataFrame({"person": truth}), how="inner")
    return both.dropna()


def pairwise(predicted: pd.Series, truth: pd.Series) -> Scores:
    """Pairs of records put together by `predicted` (record -> cluster id) against pairs that
    `truth` (record -> person id) puts together. Both series are indexed by record id."""
    both = _joined(predicted, truth)
    together = _pairs(both.groupby(["cluster", "person"]).size())
    predicted_pairs = _pairs(both.groupby("cluster").size())
    true_pairs = _pairs(both.groupby("person").size())
    return Scores(
        precision=together / predicted_pairs if predicted_pairs else 1.0,
        recall=together / true_pairs if true_pairs else 1.0,
    )


def bcubed(predicted: pd.Series, truth: pd.Series) -> Scores:
    """Per record: share of its cluster that is the same person (precision) and share of its
    person found in its cluster (recall), averaged over records."""
    both = _joined(predicted, truth)
    overlap = both.groupby(["cluster", "person"])["cluster"].transform("size")
    cluster_size = both.groupby("cluster")["cluster"].transform("size")
    person_size = both.groupby("person")["person"].transform("size")
    return Scores(
        precision=float((overlap / cluster_size).mean()) if len(both) else 1.0,
        recall=float((overlap / person_size).mean()) if len(both) else 1.0,
    )


def pair_recall(pairs: np.ndarray, record_person: np.ndarray) -> float:
    """Share of the true matching pairs that appear among candidate `pairs` (rows of two
    record positions), given each record position's person label."""
    sizes = pd.Series(record_person).value_counts()
    true_pairs = _pairs(sizes)
    if not true_pairs:
        return 1.0
    same = record_person[pairs[:, 0]] == record_person[pairs[:, 1]]
    return float(same.sum()) / true_pairs
