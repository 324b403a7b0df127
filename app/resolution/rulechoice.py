"""Choosing the blocking rules at training: from every rule the data allows, the fewest that
still put the matches the trained model expects in front of it (`choose_rules`), over the
training pool widened by the pairs of every key part alone (`widened`)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from app.resolution.blocking import Candidates, Rule, candidate_pairs, rule_name, sampled
from app.resolution.model import MatchModel, probability
from app.resolution.scoring import score_pairs

if TYPE_CHECKING:
    from app.resolution.training import TrainingSet


def choose_rules(
    ts: TrainingSet,
    pool: Candidates,
    p: np.ndarray,
    rules: Sequence[Rule],
    coverage: float = 0.9995,
    share: float = 1.0,
) -> tuple[list[Rule], list[dict[str, Any]], float]:
    """The fewest rules that still find the matches the model expects among the pool (every
    candidate rule's pairs): greedily the rule that adds the most expected matches per pair
    it costs, among those that add a noticeable share (2e-5 of them), until `coverage` of
    them are found or no rule adds a noticeable share. A pool that is a sample (`share` of
    the pairs, `sampled`) gives each rule's expected matches and pairs that share of the
    whole: the choice is the same as over the whole pool where the sample holds the same
    proportions, and the pairs reported are the sample's divided by its share."""
    total = float(p.sum())
    if total <= 0 or not rules:
        return list(rules), [], 1.0
    n = len(ts)
    pool_keys = pool.left.astype(np.int64) * n + pool.right
    members = [np.searchsorted(pool_keys, pool.by_rule[rule_name(r)]) for r in rules]
    covered = np.zeros(len(p), dtype=bool)
    chosen: list[Rule] = []
    report = []
    got = 0.0

    def gain_of(i: int) -> tuple[float, float]:
        idx = members[i]
        gain = float(p[idx[~covered[idx]]].sum())
        # the whole pool's gain per pair (plus 100), from the sample's: in this form, not
        # simplified to gain / (pairs + 100 * share), whose rounding differs, so that two
        # rules scoring alike tie, and the tie goes to the earlier rule
        return (gain / share) / (len(idx) / share + 100.0), gain

    # Lazy greedy: a rule's score only falls as more pairs are covered, so a rule whose
    # score, computed afresh, still beats every other rule's last known score is the best
    # (ties to the earlier rule), without rescoring all the others each round.
    # A rule that adds too little (under `least` expected matches) leaves the running for
    # good (what it adds only falls), and the choice goes on among the others: the rule with
    # the best ratio may add little while another, dearer per pair, still adds much.
    least = 2e-5 * total
    heap = [(-gain_of(i)[0], i) for i in range(len(rules))]
    heapq.heapify(heap)
    while heap and got < coverage * total:
        best, best_gain = -1, 0.0
        while heap:
            _, i = heapq.heappop(heap)
            score, gain = gain_of(i)
            if score <= 0 or gain < least:  # never more later: out of the running
                continue
            if not heap or (-score, i) <= heap[0]:
                best, best_gain = i, gain
                break
            heapq.heappush(heap, (-score, i))
        if best < 0:
            break
        covered[members[best]] = True
        got += best_gain
        chosen.append(rules[best])
        report.append(
            {
                "rule": rule_name(rules[best]),
                "pairs": round(len(members[best]) / share),
                "expectedRecall": round(got / total, 5),
            }
        )
    return chosen, report, got / total


def widened(
    ts: TrainingSet,
    model: MatchModel,
    pool: Candidates,
    p: np.ndarray,
    rules: Sequence[Rule],
    cap: int,
    workers: int,
    share: float = 1.0,
) -> tuple[Candidates, np.ndarray]:
    """The pool with the pairs of `rules` added (blocks over `cap` skipped, as for every
    rule), each rule's pairs kept, and the match probability of every pair under `model`:
    the pool's `p` as given, the added pairs scored. A pool that is a sample at `share` takes
    the added pairs' sample at the same share (`sampled`)."""
    if not rules:
        return pool, p
    n = len(ts)
    more = sampled(candidate_pairs(ts.cols, rules, cap, ts.groups, keep_rule_pairs=True), n, share)
    have = pool.left.astype(np.int64) * n + pool.right
    added = np.setdiff1d(more.left.astype(np.int64) * n + more.right, have, assume_unique=True)
    _, logits = score_pairs(model, ts.cols, added // n, added % n, workers=workers)
    keys = np.concatenate([have, added])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    return (
        Candidates(keys // n, keys % n, by_rule={**pool.by_rule, **more.by_rule}),
        np.concatenate([p, probability(logits)])[order],
    )
