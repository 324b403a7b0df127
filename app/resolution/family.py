"""Household weights: what the members of a family share, learned without labels for the
unsupervised model (app/resolution/unsupervised.py) and kept in `MatchModel.household`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from app.resolution.blocking import block_pairs, rule_codes
from app.resolution.columns import IDENTIFIER_PREFIX
from app.resolution.comparisons import NULL
from app.resolution.model import MatchModel, families
from app.resolution.scoring import pair_levels

if TYPE_CHECKING:
    from app.resolution.training import TrainingSet

# Two people of one family share a surname, and often an address, a phone and an e-mail. u,
# from random pairs, says how often two people agree on each field alone; a model that adds
# the weights as if the fields were independent takes a mother and her son, surname and
# address agreeing, for one person whatever their first names say. So for the pairs whose
# surnames agree and whose first names are different, each agreement on a field households
# share is weighed against how often such pairs agree on it (u among them, measured on random
# pairs of records sharing a surname) instead of against u.
HOUSEHOLD_FIELDS = ("address", "phone", "email")
FAMILY_PAIRS = 100_000  # random pairs of records sharing a surname
FAMILY_MINIMUM = 10  # pairs agreeing at a level before it is weighed again
# A field's levels that are one value shared (the same street, number or e-mail), with the
# derived column holding it: the family pairs at them are counted among every pair of records
# sharing a surname and that value, not in the random sample. Few families share a landline
# among many pairs of strangers called Smith: at 100k records 6 to 16 of the sample's ~52,000
# family pairs with phones did, so whether a shared landline was weighed as a family's
# (-6.2) depended on the seed, and F1 without labels with it (0.9783-0.9824 over four seeds).
HOUSEHOLD_VALUES: dict[str, tuple[str, tuple[int, ...]]] = {
    "address": ("street", (0, 2)),  # same street and place / same street elsewhere
    "phone": ("phone", (0, 1)),  # same mobile / same number
    "email": ("email", (0,)),
}
FAMILY_VALUE_PAIRS = 5_000_000  # above this many pairs sharing a surname and a value: sampled


def same_value_pairs(
    codes: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """k random pairs of records with equal codes (-1: no value), each such pair equally
    likely; every such pair once when there are no more than k (a small population's
    pairs are not counted over and over); none when no two records share a value."""
    held = np.flatnonzero(codes >= 0)
    order = held[np.argsort(codes[held], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])[: len(order)]
    sizes = np.diff(np.r_[starts, len(order)])
    count = sizes * (sizes - 1) / 2.0
    if not count.sum():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if count.sum() <= k:  # every one
        return all_same_value_pairs(codes)
    group = rng.choice(len(starts), size=k, p=count / count.sum())
    a = rng.integers(0, sizes[group])
    b = rng.integers(0, sizes[group] - 1)
    b += b >= a
    return order[starts[group] + a], order[starts[group] + b]


def household_weights(
    ts: TrainingSet, model: MatchModel, rng: np.random.Generator, workers: int = 1
) -> tuple[dict[str, list[float]], int]:
    """`MatchModel.household` for `model` (its u and weights learned): for each field
    households share (`household_field`) and each level that agrees (a positive weight),
    log(u / u among families), where that is below 0 and at least FAMILY_MINIMUM family
    pairs are at the level, else 0 (MatchModel.contributions keeps an agreement pushing
    up). The families are random pairs of records sharing a surname whose first names are
    at one of the model's family levels (`families`) and that agree on no birth date or
    identifier (those may be one person; an identifier's own agreement is what is counted
    for it). At the levels of one shared value (HOUSEHOLD_VALUES, an identifier's "same")
    the family pairs are counted among every pair sharing a surname and the value, and
    their share is that count over the sample's family pairs scaled to all same-surname
    pairs. Also returns how many family pairs the sample had."""
    names = [c.name for c in ts.comparisons]
    if "firstName" not in names or "lastName" not in names:
        return {}, 0
    left, right = same_value_pairs(ts.cols.codes["last"], FAMILY_PAIRS, rng)
    if not len(left):
        return {}, 0
    levels = pair_levels(ts.comparisons, ts.cols, left, right, workers)
    family = family_mask(ts, model, levels)
    # the sample is this share of every pair of records sharing a surname
    drawn = len(left) / same_value_pair_count(ts.cols.codes["last"])
    out = {}
    for j, comp in enumerate(model.comparisons):
        if not household_field(comp.name):
            continue
        own = comp.name.startswith(IDENTIFIER_PREFIX)  # counted with its own agreement
        lv = levels[family_mask(ts, model, levels, measured=comp.name) if own else family, j]
        lv = lv[lv != NULL]
        if not len(lv):  # no family pair in the sample has the field on both records
            continue
        counts = np.bincount(lv, minlength=len(comp.u)).astype(np.float64)
        share = counts / len(lv)
        exact = shared_value_counts(ts, model, comp.name, workers)
        if exact is not None:  # the levels of one shared value, counted in full
            for level, n in exact.items():
                counts[level] = n
                share[level] = n * drawn / len(lv)
        extra = [
            math.log(u / q) if w > 0 and n >= FAMILY_MINIMUM and q > u else 0.0
            for u, w, n, q in zip(comp.u, comp.weights, counts.tolist(), share, strict=True)
        ]
        if any(extra):
            out[comp.name] = extra
    return out, int(family.sum())


def household_field(name: str) -> bool:
    """Whether a comparison is of a field households share: HOUSEHOLD_FIELDS, and declared
    identifiers (a parent's national ID written on a child's form, a family's account)."""
    return name in HOUSEHOLD_FIELDS or name.startswith(IDENTIFIER_PREFIX)


def family_mask(
    ts: TrainingSet, model: MatchModel, levels: np.ndarray, measured: str | None = None
) -> np.ndarray:
    """Which pairs (rows of `levels`) count as two members of a family: `families`, and no
    birth date or identifier agreeing (those may be one person), but the identifier
    `measured`, whose agreement among families is what is counted."""
    family = families([c.name for c in ts.comparisons], levels, model.family_first_names)
    for j, spec in enumerate(ts.comparisons):
        if spec.name == measured:
            continue
        if spec.name == "dateOfBirth" or spec.name.startswith(IDENTIFIER_PREFIX):
            family &= levels[:, j] != 0
    return family


def all_same_value_pairs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of records with equal codes (-1: no value), once: the blocks of a block cap
    no block reaches."""
    encoded, _, _ = block_pairs(codes, cap=len(codes))
    return encoded // len(codes), encoded % len(codes)


def same_value_pair_count(codes: np.ndarray) -> int:
    """How many pairs of records have equal codes (-1: no value)."""
    sizes = np.bincount(codes[codes >= 0])
    return int((sizes * (sizes - 1) // 2).sum())


def shared_value_counts(
    ts: TrainingSet, model: MatchModel, field: str, workers: int
) -> dict[int, int] | None:
    """For a field in HOUSEHOLD_VALUES or an identifier (its level "same"): the family pairs
    at each of its shared-value levels, among every pair of records sharing a surname and
    the value. None when the field is not there, or too many pairs share both
    (FAMILY_VALUE_PAIRS)."""
    column, wanted = HOUSEHOLD_VALUES.get(field, (field, (0,)))  # an identifier: "same"
    if not household_field(field) or column not in ts.cols.codes:
        return None
    codes = rule_codes(ts.cols, ("last", column))
    if same_value_pair_count(codes) > FAMILY_VALUE_PAIRS:
        return None
    left, right = all_same_value_pairs(codes)
    levels = pair_levels(ts.comparisons, ts.cols, left, right, workers)
    j = [c.name for c in ts.comparisons].index(field)
    lv = levels[family_mask(ts, model, levels, measured=field), j]
    return {level: int((lv == level).sum()) for level in wanted}
