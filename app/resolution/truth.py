"""Ground truth (record -> person) and labelled pairs drawn from it, for benchmarks and for
users who have a truth file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from app.errors import InputError
from app.resolution.training import Labelled, TrainingSet, fit_labels, uncertain_pairs
from app.resolution.unsupervised import Start, unsupervised_start


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


def active_labels(
    ts: TrainingSet,
    truth: pd.Series,
    limit: int = 500,
    seed: int = 0,
    cap: int = 50,
    rounds: int = 4,
    begun: Start | None = None,
) -> Labelled:
    """Labelled pairs with the truth as the oracle, drawn as a steward would be asked them:
    a small random start (half matches), then rounds of the candidate pairs the current
    model is least sure of. Candidates are the pairs every blocking rule finds."""
    person = truth.reindex(ts.ids).to_numpy()
    begun = begun or unsupervised_start(ts, cap=cap, seed=seed)
    model, pool, levels = begun.model, begun.pool, begun.levels
    rng = np.random.default_rng(seed)
    known = pd.notna(person[pool.left]) & pd.notna(person[pool.right])
    same = known & (person[pool.left] == person[pool.right])
    start = max(limit // (rounds + 1), 4)
    chosen = list(rng.permutation(np.flatnonzero(same))[: start // 2])
    chosen += list(rng.permutation(np.flatnonzero(known & ~same))[: start - len(chosen)])
    per_round = max((limit - len(chosen)) // max(rounds, 1), 1)
    current = model
    for _ in range(rounds):
        if len(chosen) >= limit:
            break
        picked = np.asarray(chosen, dtype=np.int64)
        asked = Labelled(
            pool.left[picked], pool.right[picked], same[picked], np.full(len(picked), "truth")
        )
        current = fit_labels(model, asked.features(model, ts), asked.match.astype(np.float64))
        taken = {(int(pool.left[i]), int(pool.right[i])) for i in chosen}
        fresh = [
            int(i)
            for i in uncertain_pairs(current, ts, pool, levels, taken, per_round * 3)
            if known[i]
        ][:per_round]
        if not fresh:
            break
        chosen += fresh
    picked = np.asarray(chosen[:limit], dtype=np.int64)
    return Labelled(
        pool.left[picked], pool.right[picked], same[picked], np.full(len(picked), "truth")
    )
