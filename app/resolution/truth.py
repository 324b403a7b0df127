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


def active_labels_from_truth(
    records: pd.DataFrame,
    candidates: Candidates,
    truth: pd.Series,
    limit: int = 500,
    seed: int = 0,
    rounds: int = 4,
    pool: int = 50_000,
) -> Labels:
    """Active learning with the truth as the oracle: start from a small random draw, then
    repeatedly label the pairs the current model is least sure of. The labels go where the
    model's decision is made, which makes the result better and steadier across seeds than
    a random draw of the same size (docs/resolution.md)."""
    from app.resolution.model import train

    person = truth.reindex(records.index).to_numpy()
    known = np.flatnonzero(pd.notna(person[candidates.left]) & pd.notna(person[candidates.right]))
    rng = np.random.default_rng(seed)
    sample = rng.permutation(known)[:pool]  # bounded work per round at any data size
    recs = model_records(records)
    same = person[candidates.left[sample]] == person[candidates.right[sample]]
    start = max(limit // (rounds + 1), 4)
    chosen = list(rng.permutation(np.flatnonzero(same))[: start // 2])
    chosen += list(rng.permutation(np.flatnonzero(~same))[: start - len(chosen)])
    per_round = (limit - len(chosen)) // max(rounds, 1)
    pairs = [(recs[candidates.left[i]], recs[candidates.right[i]]) for i in sample]
    for _ in range(rounds):
        labels = _labels(pairs, same, chosen)
        model = train(labels, seed)
        logits = model.logits(model.distances(pairs))
        order = np.argsort(np.abs(logits), kind="stable")
        taken = set(chosen)
        fresh = [int(i) for i in order if int(i) not in taken][:per_round]
        chosen += fresh
    return _labels(pairs, same, chosen[:limit])


def _labels(pairs: list[tuple[dict[str, str | None], dict[str, str | None]]],
            same: np.ndarray, chosen: list[int]) -> Labels:  # fmt: skip
    labels = Labels()
    for i in chosen:
        (labels.match if same[i] else labels.distinct).append(pairs[i])
    return labels
