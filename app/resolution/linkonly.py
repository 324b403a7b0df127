"""Link-only mode: resolution links named sources, each free of duplicates, instead of
deduplicating one pool. Which pairs may be compared (`linkable`, for blocking, completion
and real time alike) and the one-to-one matching (`one_to_one`, applied by
`cluster.cluster` in every path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.resolution.model import MatchModel
    from app.settings import Settings


def link_groups(sources: Iterable[object], link_only: Sequence[str]) -> np.ndarray:
    """Link-only mode: a group number per record of a linked source (pairs within a group
    are never compared), -1 for records of other sources (compared with nothing)."""
    order = {s: i for i, s in enumerate(dict.fromkeys(link_only))}
    return np.array([order.get(str(s), -1) for s in sources], dtype=np.int64)


def groups_of(
    sources: Iterable[object], model_link: Sequence[str], settings_link: Sequence[str]
) -> np.ndarray | None:
    """The records' link groups when resolution links sources rather than deduplicating:
    the model's sources (`idgraph train --link-only`), else the settings'; None when neither
    names any."""
    link = list(model_link) or list(settings_link)
    return link_groups(sources, link) if link else None


def linkable(groups: np.ndarray | None, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Which pairs may be compared and linked: every pair, or in link-only mode (`groups`)
    only those of two records in two different groups, neither of them in group -1."""
    if groups is None:
        return np.ones(len(left), dtype=bool)
    ga, gb = groups[np.asarray(left)], groups[np.asarray(right)]
    return (ga != gb) & (ga >= 0) & (gb >= 0)


@dataclass
class OneToOne:
    """Link-only with at most one record per source in a profile (`idgraph resolve
    --one-to-one`): each record's link group, and the threshold the matching is made at:
    the operational one whatever the dial asks, so the dial still cuts one clustering at
    other heights."""

    groups: np.ndarray
    threshold: float


def one_to_one_of(
    groups: np.ndarray | None, model: MatchModel, settings: Settings
) -> OneToOne | None:
    """The one-to-one constraint when it applies (a model trained link-only, and the settings
    ask for it), made at the operational threshold."""
    if groups is None or not model.link_only or not settings.one_to_one:
        return None
    return OneToOne(groups, settings.match_threshold)


def one_to_one(
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    groups: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Link-only with one record per source per person: pairs kept greedily from the most
    probable down, while neither record has a partner in the other's source yet. Equal
    probabilities go by record position (customerId order in every path), not by the
    order the pairs come in, which differs between batch and the stored graph."""
    left, right = np.asarray(left), np.asarray(right)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    order = np.lexsort((hi, lo, -np.asarray(prob)))
    taken: set[tuple[int, int]] = set()
    keep = np.zeros(len(prob), dtype=bool)
    for i in order:
        if prob[i] < threshold:
            break
        a, b = int(left[i]), int(right[i])
        if (a, int(groups[b])) in taken or (b, int(groups[a])) in taken:
            continue
        taken.add((a, int(groups[b])))
        taken.add((b, int(groups[a])))
        keep[i] = True
    return keep
