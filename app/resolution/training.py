"""Learning the match model from the records themselves, with or without labels.

Without labels (the default): u (how often each level happens between two different people)
from random pairs, with exact agreement counted exactly from value frequencies; m (how
often it happens between two records of one person) by expectation-maximisation in
sessions, each over the pairs one blocking rule finds and using only the comparisons that
rule does not block on (Splink's approach: a session blocked on first and last name learns
what birth dates, addresses and identifiers do for a match, without the names, which every
pair in it shares, looking like evidence). With labelled pairs (stewards' decisions, a
file, or drawn from a truth file) a logistic regression over the same levels refines those
weights, pulled towards the unsupervised ones so that a few hundred labels move them only
as far as they show. Then the blocking rules: from every rule the data allows, the fewest
that still put the matches the model expects in front of it (`choose_rules`)."""

from __future__ import annotations

import copy
import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from app.resolution.blocking import (
    Candidates,
    Rule,
    block_pairs,
    candidate_pairs,
    candidate_rules,
    key_parts,
    rule_codes,
    rule_comparisons,
    rule_name,
)
from app.resolution.cluster import score_pairs
from app.resolution.comparisons import NULL, Comparison, available, level_matrix
from app.resolution.fields import Column, Columns, derive
from app.resolution.model import ComparisonWeights, MatchModel, TermFrequencies, probability

# EM sessions, in order of preference: rules on what identifies a person, so that the pairs
# in them are mostly one person (family members share surname and address, not first name
# and birth date).
SESSION_RULES: tuple[Rule, ...] = (
    ("first", "last"),
    ("dob",),
    ("email",),
    ("phone",),
    ("names",),
    ("first_init", "dob"),
    ("postcode", "first"),
    ("street",),
)
SESSION_PAIRS = 300_000  # pairs per EM session at most (a random subset beyond)
RANDOM_PAIRS = 300_000  # for u (exact agreement is counted, not sampled)
NAME_COMPARISONS = ("firstName", "lastName")  # a rare value agreeing counts for more
TF_MINIMUM_COUNT = 2  # values stored with their frequency (others count once)
TF_MAX_VALUES = 200_000  # per comparison, the most frequent


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

    @classmethod
    def build(
        cls,
        records: pd.DataFrame,
        identifier_types: dict[str, str],
        link_only: Sequence[str] = (),
    ) -> TrainingSet:
        cols = derive(records)
        groups = link_groups(records["source"], link_only) if link_only else None
        return cls(records.index, cols, key_parts(cols), available(cols, identifier_types), groups)

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
    pool_pairs: int = 0
    chosen_rules: list[dict[str, Any]] = field(default_factory=list)
    estimated_pair_recall: float = 0.0
    labels: dict[str, int] = field(default_factory=dict)
    weights_before: dict[str, list[float]] = field(default_factory=dict)
    weights_after: dict[str, list[float]] = field(default_factory=dict)
    estimated: dict[str, float] = field(default_factory=dict)
    held_out: dict[str, float] = field(default_factory=dict)
    sigma: float = 0.0  # how far labels could move the weights (chosen by cross-validation)
    seconds: dict[str, float] = field(default_factory=dict)


def link_groups(sources: pd.Series, link_only: Sequence[str]) -> np.ndarray:
    """Link-only mode: a group number per record of a linked source (pairs within a group
    are never compared), -1 for records of other sources (compared with nothing)."""
    order = {s: i for i, s in enumerate(dict.fromkeys(link_only))}
    return np.array([order.get(s, -1) for s in sources], dtype=np.int64)


# -- u: how often each level happens between two different people ----------------------
def random_pairs(
    n: int, k: int, rng: np.random.Generator, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    if groups is not None:
        linked = np.flatnonzero(groups >= 0)
        left = linked[rng.integers(0, len(linked), size=int(k * 1.5) + 10)]
        right = linked[rng.integers(0, len(linked), size=int(k * 1.5) + 10)]
        ok = groups[left] != groups[right]
    else:
        left = rng.integers(0, n, size=int(k * 1.5) + 10)
        right = rng.integers(0, n, size=int(k * 1.5) + 10)
        ok = left != right
    return left[ok][:k], right[ok][:k]


def _exact_share(values: Column, groups: np.ndarray | None) -> float | None:
    """Exactly how often two records (both with a value; across groups in link-only mode)
    agree on it: sum over values of count * (count - 1) over all pairs."""
    present = pd.notna(values)
    vals = pd.Series(values[present], dtype=object)
    m = len(vals)
    if m < 2:
        return None
    if groups is None:
        counts = vals.value_counts().to_numpy(dtype=np.float64)
        return float((counts * (counts - 1)).sum() / (m * (m - 1)))
    g = groups[present]
    vals = vals[g >= 0]
    g = g[g >= 0]
    if len(vals) < 2:
        return None
    table = pd.crosstab(vals.to_numpy(), g).to_numpy(dtype=np.float64)
    per_value = table.sum(axis=1) ** 2 - (table**2).sum(axis=1)
    sizes = np.bincount(g).astype(np.float64)
    total = sizes.sum() ** 2 - (sizes**2).sum()
    return float(per_value.sum() / total) if total else None


EXACT_COLUMN = {
    "firstName": "first",
    "lastName": "last",
    "middleName": "middle",
    "dateOfBirth": "dob",
    "gender": "gender",
    "email": "email",
}


def estimate_u(
    ts: TrainingSet, rng: np.random.Generator, pairs: int = RANDOM_PAIRS
) -> list[np.ndarray]:
    """Per comparison, the chance of each level for two random records (both with the
    field). Exact agreement is counted exactly from value frequencies where one column
    decides it; the other levels come from random pairs."""
    left, right = random_pairs(len(ts), pairs, rng, ts.groups)
    levels = level_matrix(ts.comparisons, ts.cols, left, right)
    out = []
    for j, comp in enumerate(ts.comparisons):
        k = len(comp.levels)
        lv = levels[:, j]
        counts = np.bincount(lv[lv != NULL], minlength=k).astype(np.float64)
        column = EXACT_COLUMN.get(comp.name) or (
            comp.field if comp.name.startswith("id_") else None
        )
        exact = _exact_share(ts.cols[column], ts.groups) if column else None
        counts = np.maximum(counts, 0.5)  # a level never seen is rare, not impossible
        if exact is not None:
            rest = counts[1:] / counts[1:].sum() * (1 - exact)
            u = np.r_[max(exact, 0.5 / max(len(left), 1)), rest]
        else:
            u = counts / counts.sum()
        out.append(u / u.sum())
    return out


# -- m: how often each level happens between two records of one person -----------------
def _start_m(k: int) -> np.ndarray:
    shape = np.linspace(1.0, 0.05, k) if k > 1 else np.ones(1)
    return shape / shape.sum()


def session_posterior(
    levels: np.ndarray, free: list[int], u: list[np.ndarray], m: list[np.ndarray], lam: float
) -> np.ndarray:
    """Each pair's chance of being a match, from the comparisons in `free` and the share
    `lam` of matches among the session's pairs."""
    w = np.full(len(levels), math.log(lam / (1 - lam)))
    for j in free:
        lv = levels[:, j]
        ok = lv != NULL
        w[ok] += np.log(m[j][lv[ok]] / u[j][lv[ok]])
    return probability(w)


def em_session(
    levels: np.ndarray, free: list[int], u: list[np.ndarray], m: list[np.ndarray], iters: int = 40
) -> tuple[list[np.ndarray], float]:
    """EM over one session's pairs using only the comparisons in `free`: new m for those,
    and the share of matches among the session's pairs."""
    m = [x.copy() for x in m]
    lam = 0.5
    for _ in range(iters):
        post = session_posterior(levels, free, u, m, lam)
        delta = 0.0
        for j in free:
            lv = levels[:, j]
            ok = lv != NULL
            counts = np.bincount(lv[ok], weights=post[ok], minlength=len(m[j])) + 1e-3
            new = counts / counts.sum()
            delta = max(delta, float(np.abs(new - m[j]).max()))
            m[j] = new
        lam = float(min(max(post.mean(), 1e-6), 1 - 1e-6))
        if delta < 1e-5:
            break
    return m, lam


# Comparisons whose exact agreement is on a value one person's records share, as an
# identifier's is, and its levels of exact agreement: a phone agrees as a mobile or as a
# landline, and a landline is shared by a household far more often than a mobile.
# (E-mail is left out: measured on our synthetic data, families sharing one e-mail made the
# correction cost more precision than it gained recall.)
SHARED_VALUES: dict[str, tuple[int, ...]] = {"phone": (0, 1)}


def estimate_m(
    ts: TrainingSet, u: list[np.ndarray], rng: np.random.Generator, cap: int
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """m by EM sessions until every comparison was free in at least one; each comparison's m
    is the mean over the sessions that learned it."""
    names = [c.name for c in ts.comparisons]
    start = [_start_m(len(c.levels)) for c in ts.comparisons]
    learned: list[list[np.ndarray]] = [[] for _ in names]
    report = []
    for rule in SESSION_RULES:
        if not all(p in ts.parts for p in rule):
            continue
        blocked = rule_comparisons(rule)
        free = [j for j, name in enumerate(names) if name not in blocked]
        if all(learned[j] for j in free):
            continue
        encoded, _, _ = block_pairs(rule_codes(ts.cols, rule), cap, ts.groups)
        if len(encoded) < 50:
            continue
        if len(encoded) > SESSION_PAIRS:
            encoded = rng.choice(encoded, SESSION_PAIRS, replace=False)
        n = len(ts)
        levels = level_matrix(ts.comparisons, ts.cols, encoded // n, encoded % n)
        m, share = em_session(levels, free, u, start)
        for j in free:
            learned[j].append(m[j])
        report.append(
            {
                "rule": rule_name(rule),
                "pairs": len(encoded),
                "matchShare": round(share, 4),
                "learned": [names[j] for j in free],
            }
        )
    out = [np.mean(ms, axis=0) if ms else start[j] for j, ms in enumerate(learned)]
    return [x / x.sum() for x in out], report


def fit_prior(base: np.ndarray, pair_count: float, iters: int = 100) -> float:
    """Prior log-odds by EM with the weights fixed: the expected number of matches among the
    candidate pairs (all matches are candidates) over all pairs of the task."""
    lam = max(len(base) / max(pair_count, 1.0) * 0.1, 1e-12)
    for _ in range(iters):
        post = probability(base + math.log(lam / (1 - lam)))
        new = float(min(max(post.sum() / max(pair_count, 1.0), 1e-12), 0.5))
        if abs(new - lam) <= 1e-9 * lam:
            break
        lam = new
    return math.log(lam / (1 - lam))


# -- term frequencies --------------------------------------------------------------------
def term_frequencies(ts: TrainingSet, u: list[np.ndarray]) -> dict[str, TermFrequencies]:
    out = {}
    for comp, uu in zip(ts.comparisons, u, strict=True):
        if comp.tf is None:
            continue
        vals = pd.Series(ts.cols[comp.tf], dtype=object).dropna()
        counts = vals.value_counts()
        kept = counts[counts >= TF_MINIMUM_COUNT].head(TF_MAX_VALUES)
        out[comp.name] = TermFrequencies(
            total=len(vals),
            counts={str(k): int(v) for k, v in kept.items()},
            u_exact=float(uu[0]),
            boost=comp.name in NAME_COMPARISONS,
            typical=float(np.quantile(counts.to_numpy(), 0.99)) if len(counts) else 1.0,
        )
    return out


# -- labels: a regression over the levels, pulled towards the unsupervised weights --------
def design(
    model: MatchModel, levels: np.ndarray, cols: dict[str, Column], left: np.ndarray
) -> np.ndarray:
    """One column per (comparison, level) and one per term-frequency adjustment."""
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
    return np.column_stack(columns) if columns else np.zeros((len(levels), 0))


# What an exact agreement adds at the least, on the commonest value too: agreeing is evidence
# for a match, however common the value (log-odds).
MIN_AGREEMENT = 0.05


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


def fit_labels(
    model: MatchModel,
    x: np.ndarray,
    y: np.ndarray,
    sigma: float = 1.0,
) -> MatchModel:
    """Weights that fit the labels, each kept near the unsupervised one (a Gaussian prior of
    width `sigma` on the log-odds scale), an exact agreement positive on every value
    (`least_agreement`) and a disagreement never positive; the share of the term-frequency
    adjustment in [0, 1]."""
    w0 = np.concatenate([np.asarray(c.weights) for c in model.comparisons])
    tf_comps = [c for c in model.comparisons if c.name in model.term_frequencies]
    c0 = np.array([c.tf for c in tf_comps], dtype=np.float64)
    theta0 = np.r_[w0, c0, model.prior]
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
    bounds += [(0.0, 1.0)] * len(c0) + [(None, None)]
    wide = np.r_[np.full(len(w0) + len(c0), sigma), 5.0]

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
    return MatchModel(
        comparisons=out,
        prior=float(theta[-1]),
        rules=model.rules,
        term_frequencies=model.term_frequencies,
        mode="supervised",
        link_only=model.link_only,
    )


# -- blocking rules for the data ---------------------------------------------------------
def choose_rules(
    ts: TrainingSet,
    pool: Candidates,
    p: np.ndarray,
    rules: Sequence[Rule],
    coverage: float = 0.9995,
) -> tuple[list[Rule], list[dict[str, Any]], float]:
    """The fewest rules that still find the matches the model expects among the pool (every
    candidate rule's pairs): greedily the rule that adds the most expected matches per pair
    it costs, until `coverage` of them are found or no rule adds a noticeable share."""
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
        return gain / (len(idx) + 100.0), gain

    # Lazy greedy: a rule's score only falls as more pairs are covered, so a rule whose
    # score, computed afresh, still beats every other rule's last known score is the best
    # (ties to the earlier rule), without rescoring all the others each round.
    heap = [(-gain_of(i)[0], i) for i in range(len(rules))]
    heapq.heapify(heap)
    while heap and got < coverage * total:
        best, best_gain = -1, 0.0
        while heap:
            _, i = heapq.heappop(heap)
            score, gain = gain_of(i)
            if not heap or (-score, i) <= heap[0]:
                if score > 0:
                    best, best_gain = i, gain
                else:
                    heapq.heappush(heap, (-score, i))
                break
            heapq.heappush(heap, (-score, i))
        if best < 0 or best_gain < 2e-5 * total:
            break
        covered[members[best]] = True
        got += best_gain
        chosen.append(rules[best])
        report.append(
            {
                "rule": rule_name(rules[best]),
                "pairs": len(members[best]),
                "expectedRecall": round(got / total, 5),
            }
        )
    return chosen, report, got / total


# -- the whole training ------------------------------------------------------------------
def unsupervised(
    ts: TrainingSet, rng: np.random.Generator, cap: int, report: TrainReport, workers: int = 1
) -> tuple[MatchModel, Candidates, np.ndarray]:
    """The model learned without labels, and the pool of candidate pairs (every rule) with
    the pool's levels."""
    u = estimate_u(ts, rng)
    m, report.sessions = estimate_m(ts, u, rng, cap)
    comps = [
        ComparisonWeights(
            c.name,
            [float(np.log(a / b)) for a, b in zip(mm, uu, strict=True)],
            [float(v) for v in mm],
            [float(v) for v in uu],
            tf=1.0 if c.tf else 0.0,
            compare=c.compare,
        )
        for c, mm, uu in zip(ts.comparisons, m, u, strict=True)
    ]
    model = MatchModel(comps, prior=0.0, rules=[], term_frequencies=term_frequencies(ts, u))
    rules = candidate_rules(ts.parts)
    report.candidate_rules = len(rules)
    pool = candidate_pairs(ts.cols, rules, cap, ts.groups, keep_rule_pairs=True)
    levels, logits = score_pairs(model, ts.cols, pool.left, pool.right, workers=workers)
    model.prior = fit_prior(logits, ts.pair_count)  # logits at prior 0
    # Exact agreement on a value one person's records share (an identifier, a phone) was
    # counted over all pairs, the matches among them included, and those are most of the
    # agreements. What share of the pairs agreeing on it are matches, EM over those pairs
    # with the other comparisons says (per level of agreement); the rest is how often two
    # different people share it (household members, typos landing on another's), which is u.
    lam = float(probability(np.array([model.prior]))[0])
    for j, (comp, spec) in enumerate(zip(model.comparisons, ts.comparisons, strict=True)):
        if not (spec.name.startswith("id_") or spec.name in SHARED_VALUES):
            continue
        part = spec.field
        encoded, _, _ = block_pairs(rule_codes(ts.cols, (part,)), cap, ts.groups)
        if len(encoded) < 20:
            continue
        if len(encoded) > SESSION_PAIRS:
            encoded = rng.choice(encoded, SESSION_PAIRS, replace=False)
        n = len(ts)
        pair_levels = level_matrix(ts.comparisons, ts.cols, encoded // n, encoded % n)
        free = [k for k in range(len(ts.comparisons)) if k != j]
        session_m, share = em_session(pair_levels, free, u, m)
        post = session_posterior(pair_levels, free, u, session_m, share)
        old_u = np.asarray(comp.u)
        exact = list(SHARED_VALUES.get(spec.name, (0,)))
        new_u = old_u.copy()
        for level in exact:
            at = pair_levels[:, j] == level
            matched = float(post[at].mean()) if at.any() else share
            new_u[level] = max(old_u[level] * (1 - matched) / (1 - lam), old_u[level] * 1e-4)
        others = [k for k in range(len(old_u)) if k not in exact]
        new_u[others] = old_u[others] / max(old_u[others].sum(), 1e-12) * (1 - new_u[exact].sum())
        comp.u = [float(v) for v in new_u]
        u0 = float(new_u[0])
        comp.weights = [float(np.log(a / b)) for a, b in zip(comp.m, comp.u, strict=True)]
        table = model.term_frequencies.get(comp.name)
        if table is not None:
            table.u_exact = float(u0)
        report.sessions.append(
            {
                "rule": part,
                "pairs": len(encoded),
                "matchShare": round(share, 4),
                "learned": [f"u of {spec.label}"],
            }
        )
    model.prior = fit_prior(model.logits(levels, ts.cols, pool.left), ts.pair_count)
    model.rules = rules
    return model, pool, levels


@dataclass
class Start:
    """The unsupervised model with the candidate pool it scored: the start of a training and
    of drawing labels for it, computed once for both."""

    model: MatchModel
    pool: Candidates
    levels: np.ndarray
    sessions: list[dict[str, Any]]
    candidate_rules: int
    seconds: float


def unsupervised_start(ts: TrainingSet, *, cap: int = 50, seed: int = 0, workers: int = 1) -> Start:
    started = time.perf_counter()
    report = TrainReport(comparisons=len(ts.comparisons))
    model, pool, levels = unsupervised(ts, np.random.default_rng(seed), cap, report, workers)
    seconds = round(time.perf_counter() - started, 2)
    return Start(model, pool, levels, report.sessions, report.candidate_rules, seconds)


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
    report.candidate_rules = begun.candidate_rules
    report.seconds["unsupervised"] = begun.seconds
    report.pool_pairs = len(pool)
    report.weights_before = {c.name: [round(w, 3) for w in c.weights] for c in model.comparisons}
    match = np.concatenate([lab.match for lab in labelled]) if labelled else np.zeros(0, bool)
    if match.any() and (~match).any():
        model = fit_labelled(ts, model, list(labelled), sigma, report)
    report.labels = {}
    for lab in labelled:
        for k, v in lab.counts().items():
            report.labels[k] = report.labels.get(k, 0) + v
    model.labels = report.labels
    report.weights_after = {c.name: [round(w, 3) for w in c.weights] for c in model.comparisons}
    logits = model.logits(levels, ts.cols, pool.left)
    p = probability(logits)
    chosen, report.chosen_rules, report.estimated_pair_recall = choose_rules(
        ts, pool, p, model.rules
    )
    model.rules = chosen
    sure = p >= threshold
    report.estimated = {
        "matches": round(float(p.sum()), 1),
        "precision": round(float(p[sure].sum() / max(sure.sum(), 1)), 4),
        "recall": round(float(p[sure].sum() / max(p.sum(), 1e-9)), 4),
    }
    model.trained_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    model.report = {
        "sessions": report.sessions,
        "chosenRules": report.chosen_rules,
        "estimatedPairRecall": round(report.estimated_pair_recall, 5),
        "estimated": report.estimated,
        "heldOut": report.held_out,
    }
    report.seconds["total"] = round(time.perf_counter() - started, 2)
    return model, report


SIGMAS = (0.5, 1.0, 2.0, 4.0, 8.0)


def choose_sigma(model: MatchModel, x: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    """The prior width whose fits predict held-out labels best (log-loss over `folds`
    folds): a few labels keep the weights near the unsupervised ones, many let them move."""
    rng = np.random.default_rng(0)
    fold = rng.permutation(len(y)) % folds
    best, best_loss = SIGMAS[0], math.inf
    for sigma in SIGMAS:
        loss = 0.0
        for k in range(folds):
            test = fold == k
            if not test.any() or test.all():
                continue
            fitted = fit_labels(model, x[~test], y[~test], sigma)
            theta = np.concatenate(
                [np.asarray(c.weights) for c in fitted.comparisons]
                + [
                    np.array(
                        [c.tf for c in fitted.comparisons if c.name in fitted.term_frequencies]
                    )
                ]
            )
            z = x[test] @ theta + fitted.prior
            loss += float(np.sum(np.logaddexp(0, z) - y[test] * z))
        if loss < best_loss:
            best, best_loss = sigma, loss
    return best


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
    theta = np.concatenate(
        [np.asarray(c.weights) for c in model.comparisons]
        + [np.array([c.tf for c in model.comparisons if c.name in model.term_frequencies])]
    )
    said = probability(x @ theta + model.prior) >= 0.5
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
    order = np.argsort(np.abs(logits), kind="stable")
    return first_not_excluded(order, pool.left, pool.right, exclude, k)


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
