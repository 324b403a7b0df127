"""String similarity for comparisons, over arrays of pairs of values: Jaro-Winkler and
Damerau-Levenshtein from rapidfuzz (C, vectorised) and nickname overlap, each computed once
per distinct pair of values (names and dates repeat across candidate pairs). Split from
comparisons.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cpdist


def distinct_pairs(ka: np.ndarray, kb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of value codes (ka[i], kb[i]) once each, in either order: the position of
    each distinct pair's first occurrence, and for every i which distinct pair it is. Names
    and dates repeat across pairs, so a symmetric comparison of values need run only on
    the distinct ones."""
    lo, hi = np.minimum(ka, kb).astype(np.int64), np.maximum(ka, kb).astype(np.int64)
    return first_of_each(lo * (int(hi.max()) + 1) + hi)


def first_of_each(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The position of each distinct key's first occurrence, and for every position which
    distinct key it holds."""
    inverse, distinct = pd.factorize(keys)
    first = np.empty(len(distinct), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    return first, inverse


def _each_distinct(
    scorer: Callable[..., Any],
    a: np.ndarray,
    b: np.ndarray,
    ka: np.ndarray,
    kb: np.ndarray,
    **kwargs: Any,
) -> np.ndarray:
    """scorer(a[i], b[i]) for every i, computed once per distinct pair of values (their codes
    ka, kb); the scorers are symmetric. `kwargs` go to rapidfuzz (score_cutoff)."""
    first, inverse = distinct_pairs(ka, kb)
    return np.asarray(cpdist(list(a[first]), list(b[first]), scorer=scorer, **kwargs))[inverse]


def share_nickname(na: np.ndarray, nb: np.ndarray, ka: np.ndarray, kb: np.ndarray) -> np.ndarray:
    """Whether the nickname sets na[i] and nb[i] overlap, once per distinct pair of first
    names (codes ka, kb)."""
    if not len(na):
        return np.zeros(0, dtype=bool)
    first, inverse = distinct_pairs(ka, kb)
    once = [bool(x & y) for x, y in zip(na[first], nb[first], strict=True)]
    return np.array(once, dtype=bool)[inverse]


def jaro_winkler(
    a: np.ndarray, b: np.ndarray, codes: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Jaro-Winkler similarity of a[i] and b[i]; with the values' codes, once per distinct pair."""
    if not len(a):
        return np.zeros(0)
    if codes is not None:
        return _each_distinct(JaroWinkler.normalized_similarity, a, b, *codes)
    return np.asarray(cpdist(list(a), list(b), scorer=JaroWinkler.normalized_similarity))


def one_edit_apart(
    a: np.ndarray, b: np.ndarray, codes: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Whether a[i] and b[i] are at most one typo apart (Damerau-Levenshtein distance <= 1: a
    character added, dropped or changed, or two neighbours swapped); with the values' codes,
    once per distinct pair. Within one edit the optimal string alignment distance is the
    Damerau-Levenshtein one (they differ only where a substring is edited twice), and
    rapidfuzz stops counting past one edit (score_cutoff): a sixth of the full distance's
    time on e-mails. tests/resolution/test_comparisons.py checks it against the full one."""
    if not len(a):
        return np.zeros(0, dtype=bool)
    if codes is not None:
        found = _each_distinct(OSA.distance, a, b, *codes, score_cutoff=1)
    else:
        found = cpdist(list(a), list(b), scorer=OSA.distance, score_cutoff=1)
    return np.asarray(found) <= 1
