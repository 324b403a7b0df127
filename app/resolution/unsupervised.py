"""The match model learned without labels (Fellegi-Sunter): u, how often each level happens
between two different people, from random pairs, with exact agreement counted exactly from
value frequencies; m, how often it happens between two records of one person, by
expectation-maximisation in sessions, each over the pairs one blocking rule finds and using
only the comparisons that rule does not block on (Splink's approach: a session blocked on
first and last name learns what birth dates, addresses and identifiers do for a match,
without the names, which every pair in it shares, looking like evidence). Training
(app/resolution/training.py) starts from it."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from app.resolution.blocking import (
    Candidates,
    Rule,
    block_pairs,
    candidate_pairs,
    candidate_rules,
    rule_codes,
    rule_comparisons,
    rule_name,
    sampled,
)
from app.resolution.columns import ATTRIBUTE_PREFIX, IDENTIFIER_PREFIX, Column
from app.resolution.comparisons import NULL, level_matrix
from app.resolution.family import household_weights
from app.resolution.model import (
    ComparisonWeights,
    MatchModel,
    TermFrequencies,
    probability,
)
from app.resolution.scoring import pair_levels, score_pairs

if TYPE_CHECKING:
    from app.resolution.training import TrainingSet

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
# Comparisons whose agreement between two different people follows the agreement of others:
# an e-mail's user name is often built from the names (john.smith@...), so among pairs that
# share their names it agrees far more often than u says, and a session blocked on names
# would count that as a sign of matches. Such a comparison is not learned in a session
# blocked on any comparison it follows.
FOLLOWS: dict[str, tuple[str, ...]] = {"email": ("firstName", "lastName")}
SESSION_PAIRS = 300_000  # pairs per EM session at most (a random subset beyond)
RANDOM_PAIRS = 300_000  # for u (exact agreement is counted, not sampled)
# a rare value agreeing counts for more (and of compared attributes: a rare occupation)
NAME_COMPARISONS = ("firstName", "lastName")
TF_MINIMUM_COUNT = 2  # values stored with their frequency (others count once)
TF_MAX_VALUES = 200_000  # per comparison, the most frequent


@dataclass
class Start:
    """The unsupervised model with the candidate pool it scored: the start of a training and
    of drawing labels for it, computed once for both."""

    model: MatchModel
    pool: Candidates
    levels: np.ndarray
    evidence: np.ndarray  # the pool's log-odds under `model` at prior 0
    sessions: list[dict[str, Any]]
    candidate_rules: int
    seconds: float
    family_pairs: int = 0  # the pairs household_weights learned from
    share: float = 1.0  # of the candidate pairs in `pool` (a sample above `pool_pairs`)
    pool_size: int = 0  # the candidate pairs before sampling


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
    codes, uniques = pd.factorize(vals.to_numpy())
    width = int(g.max()) + 1  # values x groups: how many records of each group hold each
    counts = np.bincount(codes * width + g, minlength=len(uniques) * width)
    table = counts.reshape(len(uniques), width).astype(np.float64)
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
    ts: TrainingSet, rng: np.random.Generator, pairs: int = RANDOM_PAIRS, workers: int = 1
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per comparison, the chance of each level for two random records (both with the
    field). Exact agreement is counted exactly from value frequencies where one column
    decides it; the other levels come from random pairs (compared on `workers` processes).
    Also which levels were seen (`seen_levels`, exact agreement by its count)."""
    left, right = random_pairs(len(ts), pairs, rng, ts.groups)
    levels = pair_levels(ts.comparisons, ts.cols, left, right, workers)
    seen = seen_levels(ts, levels)
    out = []
    for j, comp in enumerate(ts.comparisons):
        k = len(comp.levels)
        lv = levels[:, j]
        counts = np.bincount(lv[lv != NULL], minlength=k).astype(np.float64)
        # a declared identifier or attribute: its one column decides exact agreement
        column = EXACT_COLUMN.get(comp.name) or (comp.field if comp.compare else None)
        exact = _exact_share(ts.cols[column], ts.groups) if column else None
        if exact:
            seen[j][0] = True
        counts = np.maximum(counts, 0.5)  # a level never seen is rare, not impossible
        if exact is not None:
            rest = counts[1:] / counts[1:].sum() * (1 - exact)
            u = np.r_[max(exact, 0.5 / max(len(left), 1)), rest]
        else:
            u = counts / counts.sum()
        out.append(u / u.sum())
    return out, seen


def seen_levels(ts: TrainingSet, levels: np.ndarray) -> list[np.ndarray]:
    """Per comparison, which of its levels some pair (rows of `levels`) is at."""
    return [
        np.bincount(levels[:, j][levels[:, j] != NULL], minlength=len(c.levels)) > 0
        for j, c in enumerate(ts.comparisons)
    ]


# -- m: how often each level happens between two records of one person -----------------
def _start_m(k: int) -> np.ndarray:
    shape = np.linspace(1.0, 0.05, k) if k > 1 else np.ones(1)
    return shape / shape.sum()


def session_evidence(
    levels: np.ndarray, free: list[int], u: list[np.ndarray], m: list[np.ndarray]
) -> np.ndarray:
    """Each pair's log-odds of being a match from the comparisons in `free`, before the
    session's share of matches."""
    w = np.zeros(len(levels))
    for j in free:
        lv = levels[:, j]
        ok = lv != NULL
        w[ok] += np.log(m[j][lv[ok]] / u[j][lv[ok]])
    return w


def session_posterior(
    levels: np.ndarray, free: list[int], u: list[np.ndarray], m: list[np.ndarray], lam: float
) -> np.ndarray:
    """Each pair's chance of being a match, from the comparisons in `free` and the share
    `lam` of matches among the session's pairs."""
    return probability(session_evidence(levels, free, u, m) + math.log(lam / (1 - lam)))


def session_share(
    levels: np.ndarray, free: list[int], u: list[np.ndarray], m: list[np.ndarray]
) -> tuple[np.ndarray, float]:
    """The share of matches among a session's pairs by EM with m and u kept as they are,
    and each pair's chance of being a match at that share."""
    evidence = session_evidence(levels, free, u, m)
    lam = 0.5
    for _ in range(10_000):
        post = probability(evidence + math.log(lam / (1 - lam)))
        new = float(np.clip(post.mean(), SHARE_LOW, SHARE_HIGH))
        if abs(new - lam) < 1e-12:
            return post, lam
        lam = new
    lam = _fixed_share(evidence, lam)
    return probability(evidence + math.log(lam / (1 - lam))), lam


SHARE_LOW, SHARE_HIGH = 1e-6, 1 - 1e-6  # the share EM may reach


def _fixed_share(evidence: np.ndarray, lam: float) -> float:
    """Where EM's steps from `lam` end, when they have not settled: pairs that barely tell
    the share (each step a little shorter than the last, 10,000 still short of it). The
    steps move one way, so the end is a root of mean(chance) - share between `lam` and
    the bound they move towards (found by Brent's method), or that bound if none lies
    between."""

    def gap(x: float) -> float:
        return float(probability(evidence + math.log(x / (1 - x))).mean()) - x

    here = gap(lam)
    bound = SHARE_LOW if here < 0 else SHARE_HIGH
    if here == 0 or gap(bound) * here > 0:
        return lam if here == 0 else bound
    return float(brentq(gap, *sorted((lam, bound)), xtol=1e-15, rtol=1e-15))


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
# landline, and a landline is shared by a household far more often than a mobile. A birth
# date too: where each person has several records, most pairs sharing one are one person's.
# (E-mail is left out: measured on our synthetic data, families sharing one e-mail made the
# correction cost more precision than it gained recall.)
SHARED_VALUES: dict[str, tuple[int, ...]] = {"phone": (0, 1), "dateOfBirth": (0,)}


def session_levels(
    ts: TrainingSet, rule: Rule, cap: int, rng: np.random.Generator, minimum: int
) -> np.ndarray | None:
    """The levels of the pairs one blocking rule finds (at most SESSION_PAIRS of them, drawn
    at random), or None when it finds fewer than `minimum`."""
    encoded, _, _ = block_pairs(rule_codes(ts.cols, rule), cap, ts.groups)
    if len(encoded) < minimum:
        return None
    if len(encoded) > SESSION_PAIRS:
        encoded = rng.choice(encoded, SESSION_PAIRS, replace=False)
    n = len(ts)
    return level_matrix(ts.comparisons, ts.cols, encoded // n, encoded % n)


def estimate_m(
    ts: TrainingSet, u: list[np.ndarray], rng: np.random.Generator, cap: int
) -> tuple[list[np.ndarray], list[dict[str, Any]], list[np.ndarray]]:
    """m by EM sessions, in SESSION_RULES' order of preference, until every comparison was
    free in at least one; each comparison's m is from the first session it was free in.
    (It was the mean over every session it was free in: on the noisy town the session on
    birth dates, whose pairs are half strangers, put m of a national ID differing at 0.33
    where the session on names found 0.026 and the truth says 0.021.) Also which levels the
    sessions' pairs were at (`seen_levels`)."""
    names = [c.name for c in ts.comparisons]
    start = [_start_m(len(c.levels)) for c in ts.comparisons]
    learned: list[np.ndarray | None] = [None for _ in names]
    seen = [np.zeros(len(c.levels), dtype=bool) for c in ts.comparisons]
    report = []
    for rule in SESSION_RULES:
        if not all(p in ts.parts for p in rule):
            continue
        blocked = rule_comparisons(rule)
        free = [
            j
            for j, name in enumerate(names)
            if name not in blocked and not blocked.intersection(FOLLOWS.get(name, ()))
        ]
        if all(learned[j] is not None for j in free):
            continue
        levels = session_levels(ts, rule, cap, rng, minimum=50)
        if levels is None:
            continue
        seen = [a | b for a, b in zip(seen, seen_levels(ts, levels), strict=True)]
        m, share = em_session(levels, free, u, start)
        new = [j for j in free if learned[j] is None]
        for j in new:
            learned[j] = m[j]
        report.append(
            {
                "rule": rule_name(rule),
                "pairs": len(levels),
                "matchShare": round(share, 4),
                "learned": [names[j] for j in new],
            }
        )
    out = [start[j] if mj is None else mj for j, mj in enumerate(learned)]
    return [x / x.sum() for x in out], report, seen


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
            boost=comp.name in NAME_COMPARISONS or comp.name.startswith(ATTRIBUTE_PREFIX),
            typical=float(np.quantile(counts.to_numpy(), 0.99)) if len(counts) else 1.0,
        )
    return out


def own_records(model: MatchModel, ts: TrainingSet) -> bool:
    """Sets the `own` of each table of names or compared attributes: the other records of
    one person a record is expected to share its value with, that is its expected matches
    (the prior's share of all pairs, per record) times the share of records holding the
    field times m of exact agreement. Where each person has several records, a name one
    person's records hold looked as common as one several people hold (Splink's fake_1000,
    four records a person: a first name agreeing weighed 4.45 where the truth says 4.91).
    Whether any table was set."""
    share = float(probability(np.array([model.prior]))[0])
    matches = 2 * share * ts.pair_count / max(len(ts), 1)  # per record
    named = False
    for comp, spec in zip(model.comparisons, ts.comparisons, strict=True):
        table = model.term_frequencies.get(comp.name)
        if table is not None and table.boost and spec.tf:
            held = float(ts.cols.present(spec.tf).mean())
            table.own = float(matches * held * comp.m[0])
            named = True
    return named


# -- the whole unsupervised model ----------------------------------------------------------
def unsupervised_start(
    ts: TrainingSet,
    *,
    cap: int = 50,
    seed: int = 0,
    workers: int = 1,
    pool_pairs: int | None = None,
) -> Start:
    """The model learned without labels, and the pool of candidate pairs (every rule) with
    the pool's levels. Above `pool_pairs` candidate pairs, the pool is a sample of them
    (`sampled`: the same pairs for every rule) of that size or about: what is learned from
    the pool are shares and sums, which the sample estimates (the expected matches among
    all pairs, for the prior, counted over the sample and divided by its share)."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    u, seen = estimate_u(ts, rng, workers=workers)
    m, sessions, in_sessions = estimate_m(ts, u, rng, cap)
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
    model = MatchModel(
        comps, prior=0.0, rules=[], term_frequencies=term_frequencies(ts, u), common=ts.common
    )
    rules = candidate_rules(ts.parts)
    pool = candidate_pairs(ts.cols, rules, cap, ts.groups, keep_rule_pairs=True)
    pool_size = len(pool)
    pool_share = 1.0 if pool_pairs is None or pool_size <= pool_pairs else pool_pairs / pool_size
    pool = sampled(pool, len(ts), pool_share)
    levels, logits = score_pairs(model, ts.cols, pool.left, pool.right, workers=workers)
    model.prior = fit_prior(logits, ts.pair_count * pool_share)  # logits at prior 0
    # Exact agreement on a value one person's records share (an identifier, a phone) was
    # counted over all pairs, the matches among them included, and those are most of the
    # agreements. What share of the pairs agreeing on it are matches, EM over those pairs
    # with the other comparisons says (per level of agreement); the rest is how often two
    # different people share it (household members, typos landing on another's), which is u.
    lam = float(probability(np.array([model.prior]))[0])
    for j, (comp, spec) in enumerate(zip(model.comparisons, ts.comparisons, strict=True)):
        if not (spec.name.startswith(IDENTIFIER_PREFIX) or spec.name in SHARED_VALUES):
            continue
        part = spec.field
        pair_levels = session_levels(ts, (part,), cap, rng, minimum=20)
        if pair_levels is None:
            continue
        free = [k for k in range(len(ts.comparisons)) if k != j]
        # m stays as the sessions on what identifies a person learned it: refitted over pairs
        # that share a phone, EM would take a household (surname, address and e-mail shared,
        # the first name not) for the match class.
        post, share = session_share(pair_levels, free, u, m)
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
        sessions.append(
            {
                "rule": part,
                "pairs": len(pair_levels),
                "matchShare": round(share, 4),
                "learned": [f"u of {spec.label}"],
            }
        )
    model.household, family = household_weights(ts, model, rng, workers)
    evidence = model.contributions(levels, ts.cols, pool.left).sum(axis=1)  # at prior 0
    model.prior = fit_prior(evidence, ts.pair_count * pool_share)
    model.rules = rules
    # A level no pair showed (random, a session's or the pool's) was not learned: what m's
    # pseudo-count over u's floor made of it (about -5 for "same street and place" where no
    # record has a street) would push two records apart the day a source brings streets.
    in_pool = seen_levels(ts, levels)
    for comp, *found in zip(model.comparisons, seen, in_sessions, in_pool, strict=True):
        never = ~np.logical_or.reduce(found)
        comp.weights = [0.0 if never[k] else w for k, w in enumerate(comp.weights)]
    if own_records(model, ts):
        evidence = model.contributions(levels, ts.cols, pool.left).sum(axis=1)
        model.prior = fit_prior(evidence, ts.pair_count * pool_share)
    seconds = round(time.perf_counter() - started, 2)
    return Start(
        model, pool, levels, evidence, sessions, len(rules), seconds, family, pool_share, pool_size
    )
