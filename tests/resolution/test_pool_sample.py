"""The training pool as a sample of the candidate pairs (app/resolution/blocking.py `sampled`,
app/resolution/unsupervised.py `unsupervised_start(pool_pairs=...)`): the same pairs for
every rule, nested as the share grows, spread evenly, and what training learns from it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from app.ingestion.batch import load_directory
from app.resolution.blocking import (
    candidate_pairs,
    candidate_rules,
    in_sample,
    lone_rules,
    rule_name,
    sampled,
)
from app.resolution.cli import print_training
from app.resolution.learning import learn
from app.resolution.model import probability
from app.resolution.rulechoice import widened
from app.resolution.training import TrainingSet, train
from app.resolution.unsupervised import unsupervised_start
from app.settings import Settings
from app.store import GraphStore

keys = st.lists(st.integers(0, 2**62), min_size=1, max_size=200).map(
    lambda xs: np.array(xs, dtype=np.int64)
)
shares = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(encoded=keys, a=shares, b=shares)
def test_a_smaller_share_samples_within_a_larger_one(
    encoded: np.ndarray, a: float, b: float
) -> None:
    low, high = sorted((a, b))
    small, large = in_sample(encoded, low), in_sample(encoded, high)
    assert not (small & ~large).any()
    assert np.array_equal(in_sample(encoded, low), small)  # the same pairs every time
    assert in_sample(encoded, 1.0).all()
    assert not in_sample(encoded, 0.0).any()


def test_the_sample_spreads_over_consecutive_pair_keys() -> None:
    """Pair keys are i * n + j: runs of neighbours. A tenth, a third and a half of a million
    of them are sampled at their share within six standard deviations of a fair draw (the
    hash is fixed: the counts are the same on every run), in each quarter of the keys too."""
    n = 1415
    i, j = np.triu_indices(n, k=1)
    encoded = i.astype(np.int64) * n + j
    for share in (0.1, 1 / 3, 0.5):
        for part in np.array_split(encoded, 4):
            kept = int(in_sample(part, share).sum())
            sd = math.sqrt(len(part) * share * (1 - share))
            assert abs(kept - share * len(part)) <= 6 * sd, (share, kept, len(part))


def test_a_pair_is_in_every_rule_s_sample_or_in_none(synth_records: pd.DataFrame) -> None:
    ts = TrainingSet.build(synth_records, {})
    rules = candidate_rules(ts.parts)
    whole = candidate_pairs(ts.cols, rules, 50, ts.groups, keep_rule_pairs=True)
    n = len(ts)
    part = sampled(whole, n, 0.3)
    kept = set((part.left.astype(np.int64) * n + part.right).tolist())
    assert 0 < len(kept) < len(whole)
    for rule in rules:
        name = rule_name(rule)
        theirs = set(whole.by_rule[name].tolist())
        assert set(part.by_rule[name].tolist()) == theirs & kept, name
    assert part.per_rule == whole.per_rule  # what blocking found is counted whole
    assert sampled(whole, n, 1.0) is whole


def _pool_size(ts: TrainingSet) -> int:
    """The candidate pairs of every rule, as `unsupervised_start` counts them at cap 50."""
    return len(candidate_pairs(ts.cols, candidate_rules(ts.parts), 50, ts.groups))


def test_a_pool_under_the_limit_is_not_sampled(synth_records: pd.DataFrame) -> None:
    ts = TrainingSet.build(synth_records, {})
    plain = unsupervised_start(ts, cap=50, seed=0)
    roomy = unsupervised_start(ts, cap=50, seed=0, pool_pairs=len(plain.pool))
    assert roomy.share == 1.0 and roomy.pool_size == len(plain.pool)
    assert np.array_equal(roomy.levels, plain.levels)
    assert roomy.model.prior == plain.model.prior
    assert [c.weights for c in roomy.model.comparisons] == [
        c.weights for c in plain.model.comparisons
    ]


def test_a_sampled_pool_counts_its_matches_for_all_pairs(synth_records: pd.DataFrame) -> None:
    """With a third of the candidate pairs scored, the prior is still the share of matches
    among all pairs: the matches the model expects in the sample, over the sample's share,
    over all pairs. Training reports the whole pool and the sample it scored."""
    ts = TrainingSet.build(synth_records, {})
    whole = _pool_size(ts)
    begun = unsupervised_start(ts, cap=50, seed=0, pool_pairs=whole // 3)
    assert begun.pool_size == whole
    assert begun.share == (whole // 3) / whole
    sd = math.sqrt(whole * begun.share * (1 - begun.share))
    assert abs(len(begun.pool) - begun.share * whole) <= 6 * sd  # as a fair draw would
    model = begun.model
    logits = model.logits(begun.levels, ts.cols, begun.pool.left)
    expected = float(probability(logits).sum()) / begun.share
    share = float(probability(np.array([model.prior]))[0])
    assert abs(expected / ts.pair_count - share) <= 1e-6 * share

    _, report = train(ts, cap=50, seed=0, begun=begun)
    assert report.pool_pairs == whole and report.scored_pairs == len(begun.pool)
    assert report.estimated["matches"] == round(float(probability(logits).sum()) / begun.share, 1)


def test_the_widened_sample_is_the_sample_of_every_rule_s_pairs(
    synth_records: pd.DataFrame,
) -> None:
    """The pairs of every key part alone join a sampled pool as the same sample of theirs:
    the widened pool is the sample of all the rules' pairs, each rule's own pairs too."""
    ts = TrainingSet.build(synth_records, {})
    whole = _pool_size(ts)
    begun = unsupervised_start(ts, cap=50, seed=0, pool_pairs=whole // 2)
    model, n = begun.model, len(ts)
    lone = lone_rules(ts.parts, model.rules)
    p = probability(model.prior + begun.evidence)
    wider, q = widened(ts, model, begun.pool, p, lone, 50, 1, begun.share)
    every = sampled(
        candidate_pairs(ts.cols, [*model.rules, *lone], 50, ts.groups, keep_rule_pairs=True),
        n,
        begun.share,
    )
    assert wider.left.tolist() == every.left.tolist()
    assert wider.right.tolist() == every.right.tolist()
    assert len(q) == len(wider)
    for name, pairs in every.by_rule.items():
        assert wider.by_rule[name].tolist() == pairs.tolist(), name


def test_train_says_how_many_pairs_it_scored_of_how_many(
    store: GraphStore, synth_folder: Path, tmp_path: Path
) -> None:
    """`idgraph train` with IDGRAPH_TRAINING_POOL_PAIRS under the candidate pairs prints the
    whole pool and the sample it scored; the model file keeps both."""
    small = Settings(data_dir=tmp_path / "data", resolve_workers=1, training_pool_pairs=1000)
    load_directory(store, synth_folder, small, show_progress=False, kinds=("customers",))
    learned = learn(store, small)
    report = learned.report
    assert report.scored_pairs < report.pool_pairs
    console = Console(record=True, width=300)
    print_training(console, learned, small)
    assert (
        f"among all {report.pool_pairs:,} candidate pairs "
        f"(a sample of {report.scored_pairs:,} of them scored)"
    ) in console.export_text()
    assert learned.model.report["candidatePairs"] == report.pool_pairs
    assert learned.model.report["scoredPairs"] == report.scored_pairs

    roomy = small.model_copy(update={"training_pool_pairs": report.pool_pairs})
    whole = learn(store, roomy)
    assert whole.report.scored_pairs == whole.report.pool_pairs == report.pool_pairs
    console = Console(record=True, width=300)
    print_training(console, whole, roomy)
    assert "a sample of" not in console.export_text()
