"""Training the match model: from the unsupervised model (app/resolution/unsupervised.py),
refined when labelled pairs exist (stewards' decisions, a file, or drawn from a truth file)
by a logistic regression over the same levels, pulled towards the unsupervised weights so
that a few hundred labels move them only as far as they show. Then the blocking rules: from
every rule the data allows, the fewest that still put the matches the model expects in
front of it (app/resolution/rulechoice.py); and the pairs a person labelling should see next
(`uncertain_pairs`)."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from app.resolution.blocking import Candidates, key_parts, lone_rules
from app.resolution.columns import Column, Columns
from app.resolution.common import common_values, without_common
from app.resolution.comparisons import Comparison, available
from app.resolution.fields import derive
from app.resolution.linkonly import groups_of
from app.resolution.model import MIN_AGREEMENT, ComparisonWeights, MatchModel, probability
from app.resolution.rulechoice import choose_rules, widened
from app.resolution.unsupervised import Start, unsupervised_start
from app.settings import COMMON_VALUE_FACTOR


@dataclass
class Labelled:
    """Labelled pairs as positions in `cols` (the training records' columns when None), with
    where each came from (steward, file, truth)."""

    left: np.ndarray
    right: np.ndarray
    match: np.ndarray  # bool
    source: np.ndarray  # "steward", "file", "truth"
    cols: Columns | None = None

    @classmethod
    def empty(cls) -> Labelled:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, np.zeros(0, dtype=bool), np.zeros(0, dtype=object))

    def __len__(self) -> int:
        return len(self.left)

    def counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in pd.Series(self.source).value_counts().items()}

    def features(self, model: MatchModel, ts: TrainingSet) -> np.ndarray:
        cols = self.cols if self.cols is not None else ts.cols
        return design(model, model.levels(cols, self.left, self.right), cols, self.left)


@dataclass
class TrainingSet:
    """Records prepared for training: derived columns, key parts, comparisons, link groups."""

    ids: pd.Index
    cols: Columns
    parts: list[str]
    comparisons: list[Comparison]
    groups: np.ndarray | None = None  # link-only: pairs within a group are never compared
    # values too common to be evidence, taken as missing in `cols` (common.common_values):
    # column -> value -> how many records hold it
    found_common: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def common(self) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in self.found_common.items()}

    @classmethod
    def build(
        cls,
        records: pd.DataFrame,
        identifier_types: dict[str, str],
        link_only: Sequence[str] = (),
        common_factor: float = COMMON_VALUE_FACTOR,
        attributes: dict[str, str] | None = None,
    ) -> TrainingSet:
        """`common_factor`: values of a field this many times commoner than most are no
        evidence (common.common_values); `attributes`: the compared attributes (name ->
        compare)."""
        cols = derive(records)
        found = common_values(cols, common_factor)
        cols = without_common(cols, found)
        groups = groups_of(records["source"], link_only, ())
        return cls(
            records.index,
            cols,
            key_parts(cols, identifier_types),
            available(cols, identifier_types, attributes),
            groups,
            found,
        )

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def pair_count(self) -> float:
        """How many pairs the task compares: all, or across groups in link-only mode."""
        n = len(self)
        if self.groups is None:
            return n * (n - 1) / 2
        sizes = np.bincount(self.groups[self.groups >= 0]).astype(np.float64)
        return float((sizes.sum() ** 2 - (sizes**2).sum()) / 2)


@dataclass
class TrainReport:
    comparisons: int = 0
    candidate_rules: int = 0
    sessions: list[dict[str, Any]] = field(default_factory=list)
    family_pairs: int = 0  # household weights: the family pairs they came from
    pool_pairs: int = 0  # candidate pairs of every rule
    scored_pairs: int = 0  # of them, the sample scored (all of them up to a size)
    chosen_rules: list[dict[str, Any]] = field(default_factory=list)
    estimated_pair_recall: float = 0.0
    labels: dict[str, int] = field(default_factory=dict)
    weights_before: dict[str, list[float]] = field(default_factory=dict)
    weights_after: dict[str, list[float]] = field(default_factory=dict)
    estimated: dict[str, float] = field(default_factory=dict)
    held_out: dict[str, float] = field(default_factory=dict)
    sigma: float = 0.0  # how far labels could move the weights (chosen by cross-validation)
    seconds: dict[str, float] = field(default_factory=dict)


# -- labels: a regression over the levels, pulled towards the unsupervised weights --------
def design(
    model: MatchModel, levels: np.ndarray, cols: dict[str, Column], left: np.ndarray
) -> np.ndarray:
    """One column per (comparison, level), one per term-frequency adjustment and one per
    household weight (MatchModel.household_levels)."""
    columns = []
    specs = model.specs()
    for j, comp in enumerate(model.comparisons):
        for k in range(len(comp.weights)):
            columns.append((levels[:, j] == k).astype(np.float64))
    for j, (comp, spec) in enumerate(zip(model.comparisons, specs, strict=True)):
        table = model.term_frequencies.get(comp.name)
        if table is None or spec.tf is None:
            continue
        adj = np.zeros(len(levels))
        exact = np.flatnonzero(levels[:, j] == 0)
        adj[exact] = table.adjustment(cols[spec.tf][left[exact]])
        columns.append(adj)
    family = model.families(levels)
    for j, k in model.household_levels():
        columns.append((family & (levels[:, j] == k)).astype(np.float64))
    return np.column_stack(columns) if columns else np.zeros((len(levels), 0))


def coefficients(model: MatchModel) -> np.ndarray:
    """The model's numbers in `design`'s column order: a pair's log-odds is its design row
    times these, plus the prior."""
    tf = [c.tf for c in model.comparisons if c.name in model.term_frequencies]
    household = [model.household[model.comparisons[j].name][k] for j, k in model.household_levels()]
    return np.concatenate(
        [np.asarray(c.weights, dtype=np.float64) for c in model.comparisons]
        + [np.asarray(tf, dtype=np.float64), np.asarray(household, dtype=np.float64)]
    )


def least_agreement(model: MatchModel, name: str) -> float:
    """The lowest weight an exact agreement on comparison `name` may have so that with any
    share of its term-frequency adjustment (0 to 1), on any value the model has counted, it
    still adds MIN_AGREEMENT."""
    table = model.term_frequencies.get(name)
    if table is None or not table.counts:
        return MIN_AGREEMENT
    # the adjustment falls as a value gets commoner: the commonest value's is the lowest
    commonest = table.adjustment_of_counts(np.array([max(table.counts.values())]))[0]
    return MIN_AGREEMENT + max(0.0, -float(commonest))


# How far labels may move the prior (log-odds of a match between two records) from the one
# EM found over every pair: a Gaussian of this width, whatever width the weights get. Labels
# are drawn where the model is least sure (active learning, stewards' hard cases), so their
# share of matches says little about how rare matches are among all pairs: with a width of 5
# four draws of 500 labels on the noisy pseudopeople town put the prior anywhere from -12.3
# to -7.2 (EM: -9.95) and F1 from 0.968 to 0.979 (docs/performance.md, "The prior kept
# near EM's").
PRIOR_WIDTH = 1.0


def fit_labels(
    model: MatchModel,
    x: np.ndarray,
    y: np.ndarray,
    sigma: float = 1.0,
) -> MatchModel:
    """Weights that fit the labels, each kept near the unsupervised one (a Gaussian prior of
    width `sigma` on the log-odds scale), an exact agreement positive on every value
    (`least_agreement`) and a disagreement never positive; the share of the term-frequency
    adjustment in [0, 1]; a household weight 0 or below; the prior kept near the model's
    (`PRIOR_WIDTH`)."""
    w0 = np.concatenate([np.asarray(c.weights) for c in model.comparisons])
    tf_comps = [c for c in model.comparisons if c.name in model.term_frequencies]
    c0 = np.array([c.tf for c in tf_comps], dtype=np.float64)
    household = model.household_levels()
    theta0 = np.r_[coefficients(model), model.prior]
    bounds: list[tuple[float | None, float | None]] = []
    for comp in model.comparisons:
        k = len(comp.weights)
        for level in range(k):
            if level == 0:
                bounds.append((least_agreement(model, comp.name), None))
            elif level == k - 1:
                bounds.append((None, 0.0))
            else:
                bounds.append((None, None))
    bounds += [(0.0, 1.0)] * len(c0) + [(None, 0.0)] * len(household) + [(None, None)]
    wide = np.r_[np.full(len(w0) + len(c0) + len(household), sigma), PRIOR_WIDTH]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ theta[:-1] + theta[-1]
        p = probability(z)
        loss = float(np.sum(np.logaddexp(0, z) - y * z))
        reg = float(np.sum(((theta - theta0) / wide) ** 2) / 2)
        grad = np.r_[x.T @ (p - y), np.sum(p - y)] + (theta - theta0) / wide**2
        return loss + reg, grad

    start = np.clip(
        theta0,
        [b[0] if b[0] is not None else -np.inf for b in bounds],
        [b[1] if b[1] is not None else np.inf for b in bounds],
    )
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds)
    theta = result.x
    out = []
    at = 0
    for comp in model.comparisons:
        k = len(comp.weights)
        out.append(
            ComparisonWeights(
                comp.name,
                [float(v) for v in theta[at : at + k]],
                comp.m,
                comp.u,
                comp.tf,
                comp.compare,
            )
        )
        at += k
    tf_values = dict(zip([c.name for c in tf_comps], theta[at : at + len(c0)], strict=True))
    for comp in out:
        if comp.name in tf_values:
            comp.tf = float(tf_values[comp.name])
    at += len(c0)
    fitted = {name: [0.0] * len(w) for name, w in model.household.items()}
    for (j, k), h in zip(household, theta[at : at + len(household)], strict=True):
        fitted[out[j].name][k] = float(h)
    return MatchModel(
        comparisons=out,
        prior=float(theta[-1]),
        rules=model.rules,
        term_frequencies=model.term_frequencies,
        mode="supervised",
        link_only=model.link_only,
        household=fitted,
        common=model.common,
    )


# -- the whole training ------------------------------------------------------------------
def train(
    ts: TrainingSet,
    labelled: Sequence[Labelled] = (),
    *,
    cap: int = 50,
    seed: int = 0,
    threshold: float = 0.5,
    sigma: float = 0.0,
    workers: int = 1,
    begun: Start | None = None,
) -> tuple[MatchModel, TrainReport]:
    """The model for `ts`: unsupervised (or `begun`, that computed already with the same
    cap and seed), refined by the labels, with the blocking rules chosen for it."""
    report = TrainReport(comparisons=len(ts.comparisons))
    started = time.perf_counter()
    begun = begun or unsupervised_start(ts, cap=cap, seed=seed, workers=workers)
    model, pool, levels = copy.deepcopy(begun.model), begun.pool, begun.levels
    report.sessions = [dict(s) for s in begun.sessions]
    report.family_pairs = begun.family_pairs
    report.candidate_rules = begun.candidate_rules
    report.seconds["unsupervised"] = begun.seconds
    report.pool_pairs = begun.pool_size
    report.scored_pairs = len(pool)
    report.weights_before = {c.name: [round(w, 3) for w in c.weights] for c in model.comparisons}
    match = np.concatenate([lab.match for lab in labelled]) if labelled else np.zeros(0, bool)
    refined = bool(match.any() and (~match).any())
    if refined:
        model = fit_labelled(ts, model, list(labelled), sigma, report)
    report.labels = {}
    for lab in labelled:
        for k, v in lab.counts().items():
            report.labels[k] = report.labels.get(k, 0) + v
    model.labels = report.labels
    report.weights_after = {c.name: [round(w, 3) for w in c.weights] for c in model.comparisons}
    # Not refined by labels, the model is the start's, whose log-odds over the pool are its
    # evidence plus the prior: the same sums, without a second pass over every pair.
    logits = model.logits(levels, ts.cols, pool.left) if refined else model.prior + begun.evidence
    p = probability(logits)
    sure = p >= threshold
    report.estimated = {
        "matches": round(float(p.sum()) / begun.share, 1),
        "precision": round(float(p[sure].sum() / max(sure.sum(), 1)), 4),
        "recall": round(float(p[sure].sum() / max(p.sum(), 1e-9)), 4),
    }
    lone = lone_rules(ts.parts, model.rules)
    report.candidate_rules += len(lone)
    wider, p = widened(ts, model, pool, p, lone, cap, workers, begun.share)
    chosen, report.chosen_rules, report.estimated_pair_recall = choose_rules(
        ts, wider, p, [*model.rules, *lone], share=begun.share
    )
    model.rules = chosen
    model.trained_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    model.report = {
        "sessions": report.sessions,
        "familyPairs": report.family_pairs,
        "chosenRules": report.chosen_rules,
        "estimatedPairRecall": round(report.estimated_pair_recall, 5),
        "candidatePairs": report.pool_pairs,
        "scoredPairs": report.scored_pairs,
        "estimated": report.estimated,
        "heldOut": report.held_out,
        "commonValues": ts.found_common,
    }
    report.seconds["total"] = round(time.perf_counter() - started, 2)
    return model, report


SIGMAS = (0.5, 1.0, 2.0, 4.0, 8.0)


def choose_sigma(model: MatchModel, x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    """The prior width for the weights, by `folds`-fold cross-validation of the log-loss on
    held-out labels: the narrowest width whose loss is within one standard error of the
    best one's (`within_one_error`). A few labels keep the weights near the unsupervised
    ones, many let them move."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(y)) % folds
    means, errors = [], []
    for sigma in SIGMAS:
        losses = []
        for k in range(folds):
            test = fold == k
            if not test.any() or test.all():
                continue
            fitted = fit_labels(model, x[~test], y[~test], sigma)
            z = x[test] @ coefficients(fitted) + fitted.prior
            losses.append(float(np.mean(np.logaddexp(0, z) - y[test] * z)))
        means.append(float(np.mean(losses)) if losses else math.inf)
        errors.append(
            float(np.std(losses, ddof=1) / math.sqrt(len(losses))) if len(losses) > 1 else 0.0
        )
    return SIGMAS[within_one_error(means, errors)]


def within_one_error(means: Sequence[float], errors: Sequence[float]) -> int:
    """The first (narrowest) choice whose mean loss is within one standard error of the
    lowest mean loss (the "one standard error rule" of cross-validation). The widths' losses
    on 500 labels drawn near the boundary differ by less than their errors, so the lowest
    alone picks one by chance: on Splink's historical persons 2 for one label draw, 4 for the
    same draw fitted a little more exactly, and F1 0.8830 against 0.8609
    (docs/performance.md, "The prior kept near EM's")."""
    best = int(np.argmin(means))
    return next(i for i, m in enumerate(means) if m <= means[best] + errors[best])


def fit_labelled(
    ts: TrainingSet,
    model: MatchModel,
    labelled: list[Labelled],
    sigma: float,
    report: TrainReport,
) -> MatchModel:
    """Refine the unsupervised model with labelled pairs; with enough steward labels, one
    fifth of them is held out first to say how the refined model does on them."""
    x = np.vstack([lab.features(model, ts) for lab in labelled])
    y = np.concatenate([lab.match for lab in labelled]).astype(np.float64)
    source = np.concatenate([lab.source for lab in labelled])
    # In one canonical order (by features, then label), so that the same pairs give the same
    # model to the last bit wherever they were kept and in whatever order they came.
    order = np.lexsort(np.c_[x, y].T[::-1])
    x, y, source = x[order], y[order], source[order]
    if sigma <= 0:  # choose how far labels may move the weights by cross-validation
        sigma = choose_sigma(model, x, y)
    report.sigma = sigma
    steward = np.flatnonzero(source == "steward")
    if len(steward) >= 20:
        rng = np.random.default_rng(1)
        held = rng.choice(steward, size=len(steward) // 5, replace=False)
        keep = np.setdiff1d(np.arange(len(y)), held)
        trial = fit_labels(model, x[keep], y[keep], sigma)
        report.held_out = _f1(trial, x[held], y[held].astype(bool))
    return fit_labels(model, x, y, sigma)


def _f1(model: MatchModel, x: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    said = probability(x @ coefficients(model) + model.prior) >= 0.5
    tp = float((said & truth).sum())
    precision = tp / max(int(said.sum()), 1)
    recall = tp / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(truth),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def uncertain_pairs(
    model: MatchModel,
    ts: TrainingSet,
    pool: Candidates,
    levels: np.ndarray,
    exclude: set[tuple[int, int]],
    k: int,
) -> np.ndarray:
    """Positions in the pool of the k pairs the model is least sure of (log-odds nearest 0)."""
    logits = model.logits(levels, ts.cols, pool.left)
    return least_sure(np.abs(logits), pool.left, pool.right, exclude, k)


def least_sure(
    sureness: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    exclude: set[tuple[int, int]],
    k: int,
) -> np.ndarray:
    """The positions of the k smallest `sureness` values whose pair is not in `exclude`, in
    the order a stable sort of all of them gives (ties by position). Only the smallest few
    are sorted (a round of questions sorted every pair of the pool: 822,000 on the
    pseudopeople town, ~0.1 s a round), more only when exclusions hide too many of them."""
    want = k + len(exclude)
    while True:
        order = smallest_first(sureness, want)
        found = first_not_excluded(order, left, right, exclude, k)
        if len(found) >= k or len(order) >= len(sureness):
            return found
        want *= 4  # one asked pair can stand at several positions


def smallest_first(values: np.ndarray, m: int) -> np.ndarray:
    """The first positions (at least m, or all) of np.argsort(values, kind="stable"): the m
    smallest values and every value tied with the m-th, by value then position."""
    if m >= len(values):
        return np.argsort(values, kind="stable")
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    cut = np.partition(values, m - 1)[m - 1]
    if np.isnan(cut):  # sorted last, and equal to nothing
        return np.argsort(values, kind="stable")
    near = np.flatnonzero(values <= cut)  # ascending positions: a stable sort keeps them so
    return near[np.argsort(values[near], kind="stable")]


def first_not_excluded(
    order: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    exclude: set[tuple[int, int]],
    k: int,
) -> np.ndarray:
    """The first k positions in `order` whose pair (left, right) is not in `exclude`, read in
    slices that double until k are found (going through the whole pool, millions of pairs
    at 100k records, took 11 s per round of questions)."""
    out: list[int] = []
    start, step = 0, max(k + len(exclude), 1)
    while len(out) < k and start < len(order):
        head = np.asarray(order[start : start + step], dtype=np.int64)
        pairs = zip(head.tolist(), left[head].tolist(), right[head].tolist(), strict=True)
        out += [i for i, a, b in pairs if (a, b) not in exclude]
        start, step = start + step, step * 2
    return np.asarray(out[:k], dtype=np.int64)
