"""Ground truth from the synthetic generator: record -> person, and labelled pairs from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from app.errors import InputError
from app.resolution.blocking import Candidates
from app.resolution.model import Labels, model_records


def read_truth(path: Path) -> pd.Series:
    """truth_records.csv (source, source_key, person_id) -> Series customerId -> person id."""
    try:
        df = pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read truth file {path}: {exc}") from exc
    missing = {"source", "source_key", "person_id"} - set(df.columns)
    if missing:
        raise InputError(f"{path}: missing column(s) {sorted(missing)}")
    df = df.dropna(subset=["source_key"])
    return pd.Series(df["person_id"].to_numpy(), index=df["source"] + ":" + df["source_key"])


def labels_from_truth(
    records: pd.DataFrame, candidates: Candidates, truth: pd.Series, limit: int = 500, seed: int = 0
) -> Labels:
    """Up to `limit` labelled pairs drawn at random from the candidate pairs, half matching
    and half not (as many as exist). Candidates are the pairs the resolver will score, so the
    distinct examples are the hard ones blocking lets through."""
    person = truth.reindex(records.index).to_numpy()
    known = pd.notna(person[candidates.left]) & pd.notna(person[candidates.right])
    same = known & (person[candidates.left] == person[candidates.right])
    differ = known & ~same
    rng = np.random.default_rng(seed)
    half = limit // 2
    picked_same = rng.permutation(np.flatnonzero(same))[:half]
    picked_differ = rng.permutation(np.flatnonzero(differ))[: limit - len(picked_same)]
    recs = model_records(records)
    labels = Labels()
    for idx, target in ((picked_same, labels.match), (picked_differ, labels.distinct)):
        for i in idx:
            target.append((recs[candidates.left[i]], recs[candidates.right[i]]))
    return labels
