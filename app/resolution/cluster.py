"""Clustering scored pairs into profiles.

One clustering serves batch, real time and the confidence dial (`cluster`): within each
component of the match graph (pairs at or above the floor, steward-confirmed pairs; never
rejected ones), average-linkage hierarchical clustering cut at the threshold; records with a
single identifying fact are placed afterwards by a stricter rule (`attach_sparse`). Average
linkage merges two groups when their pairs agree on average, so a weak chain through a
household does not glue its members into one person, and its merge heights never decrease,
so cutting the same tree at a higher threshold only splits clusters: a stricter dial never
grows a profile.

The average weighs each pair by the evidence it carries: a pair at or above the floor counts
fully; one below it counts in proportion to how hard its fields push against a match (fully
from `against_full` log-odds on). A pair below the floor where no field disagrees (a
call-centre record with a phone and a birth date against a web-shop record with an e-mail
and an address: only the city in common) lacks evidence rather than contradicting, so it
neither pulls nor pushes; counting it as a non-match split such records from the profile
their other records tie them to (docs/resolution.md)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from app.resolution.linkage import average_linkage
from app.resolution.linkonly import OneToOne, linkable, one_to_one
from app.resolution.sparsejoin import attach_sparse


@dataclass
class Decisions:
    """Steward decisions as record positions: pairs confirmed as one person (always
    together), pairs rejected (never in one cluster)."""

    confirmed: list[tuple[int, int]] = field(default_factory=list)
    rejected: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Clustering:
    labels: np.ndarray  # cluster number per record position (the smallest member's position)
    capped: list[int] = field(default_factory=list)  # components over the cap: their sizes


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _pair_key(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return lo.astype(np.int64) * n + hi


def _edges(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    weight: np.ndarray,
    decisions: Decisions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scored pairs with stewards' decisions applied (confirmed 1, rejected 0; a decided pair
    counts fully), one per pair."""
    prob = np.asarray(prob, dtype=np.float64).copy()
    weight = np.asarray(weight, dtype=np.float64).copy()
    keys = _pair_key(n, np.asarray(left), np.asarray(right))
    extra_keys, extra_p = [], []
    for pairs, value in ((decisions.confirmed, 1.0), (decisions.rejected, 0.0)):
        if not pairs:
            continue
        dk = _pair_key(n, *(np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True)))
        hit = np.isin(keys, dk)
        prob[hit] = value
        weight[hit] = 1.0
        missing = np.setdiff1d(dk, keys)
        extra_keys.append(missing)
        extra_p.append(np.full(len(missing), value))
    if extra_keys:
        keys = np.r_[keys, *extra_keys]
        prob = np.r_[prob, *extra_p]
        weight = np.r_[weight, np.ones(sum(len(k) for k in extra_keys))]
    keys, first = np.unique(keys, return_index=True)
    return keys // n, keys % n, prob[first], weight[first]


def cluster(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    threshold: float,
    *,
    sparse: np.ndarray | None = None,
    decisions: Decisions | None = None,
    floor: float = 0.0,
    sparse_threshold: float = 0.7,
    cap: int = 500,
    against: np.ndarray | None = None,
    against_full: float = 5.0,
    exclusive: OneToOne | None = None,
) -> Clustering:
    """Records 0..n-1 into clusters from scored pairs (left[i], right[i], prob[i]).

    Pairs below `floor` count as unscored. Dense records (not `sparse`) form components
    over the remaining pairs and steward-confirmed ones; each component is clustered by
    average linkage on 1 - probability and cut at `threshold`: a pair below the floor counts
    as probability 0 with the weight min(1, against[i] / against_full), where `against[i]` is
    the log-odds its fields push against a match (`MatchModel.against`; without it, every
    pair counts fully), so a pair with nothing against it does not count at all; a pair at or
    above the floor or never scored counts fully (never scored: as 0), a confirmed one as 1,
    and a rejected one forbids the merge. A component over `cap` records is split first
    along its weakest pairs (reported in `capped`). Sparse records then join by
    `attach_sparse`. With `exclusive` (one-to-one), a pair the matching (`one_to_one`) does
    not keep counts as a certain non-match, fully."""
    decisions = decisions or Decisions()
    sparse = ~_linkable(n, sparse, decisions)  # a confirmed record takes part like any other
    if against is None:
        weight = np.ones(len(left))
    else:
        weight = np.minimum(np.asarray(against, dtype=np.float64) / against_full, 1.0)
    if exclusive is not None:
        prob = np.asarray(prob, dtype=np.float64)
        kept = one_to_one(left, right, prob, exclusive.groups, exclusive.threshold)
        weight = np.where(kept | (prob < floor), weight, 1.0)
        prob = np.where(kept, prob, 0.0)
    left, right, prob, weight = _edges(
        n, np.asarray(left), np.asarray(right), prob, weight, decisions
    )
    evidence = np.where(prob >= floor, 1.0, weight)
    prob = np.where(prob >= floor, prob, 0.0)
    dense = ~sparse[left] & ~sparse[right]
    rejected = {(min(a, b), max(a, b)) for a, b in decisions.rejected}
    rej = np.zeros(len(left), dtype=bool)
    if rejected:
        pairs = np.array(sorted(rejected), dtype=np.int64).reshape(-1, 2)
        rej = np.isin(_pair_key(n, left, right), _pair_key(n, pairs[:, 0], pairs[:, 1]))
    usable = dense & (prob > 0) & ~rej
    together = _closure(n, decisions.confirmed)
    labels, capped = _link(
        n,
        left[dense],
        right[dense],
        prob[dense],
        evidence[dense],
        rej[dense],
        usable[dense],
        threshold,
        cap,
        together,
    )
    component = _components(n, left[usable], right[usable])
    labels = attach_sparse(
        labels, left, right, prob, sparse, threshold, sparse_threshold, rejected, component
    )
    return Clustering(labels=labels, capped=capped)


def _closure(n: int, confirmed: list[tuple[int, int]]) -> np.ndarray:
    """Per record, its group of records confirmed as one person (directly or through other
    confirmed pairs), -1 when it is in none: every pair in a group is one person."""
    together = np.full(n, -1, dtype=np.int64)
    if not confirmed:
        return together
    a = np.array([x for x, _ in confirmed], dtype=np.int64)
    b = np.array([y for _, y in confirmed], dtype=np.int64)
    comp = _components(n, a, b)
    involved = np.unique(np.r_[a, b])
    together[involved] = comp[involved]
    return together


def _link(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    evidence: np.ndarray,
    rejected: np.ndarray,
    usable: np.ndarray,
    threshold: float,
    cap: int,
    together: np.ndarray,
) -> tuple[np.ndarray, list[int]]:
    labels = np.arange(n)
    capped: list[int] = []
    comp = _components(n, left[usable], right[usable])
    size = np.bincount(comp, minlength=n)
    multi = np.flatnonzero(size >= 2)
    if not len(multi):
        return labels, capped
    # edges by component (rejected pairs included: they forbid merges inside a component)
    inside = comp[left] == comp[right]
    el, er, ep = left[inside], right[inside], prob[inside]
    ew, ej = evidence[inside], rejected[inside]
    ec = comp[el]
    order = np.argsort(ec, kind="stable")
    el, er, ep, ew, ej, ec = el[order], er[order], ep[order], ew[order], ej[order], ec[order]
    starts = np.searchsorted(ec, multi)
    ends = np.searchsorted(ec, multi, side="right")
    members_by = _members(comp, multi)
    for c, s, e in zip(multi, starts, ends, strict=True):
        members = members_by[int(c)]
        sub = _cut(
            members, el[s:e], er[s:e], ep[s:e], ew[s:e], ej[s:e], threshold, cap, capped, together
        )
        for group in sub:
            labels[group] = group.min()
    return labels, capped


def _members(comp: np.ndarray, which: np.ndarray) -> dict[int, np.ndarray]:
    keep = np.isin(comp, which)
    pos = np.flatnonzero(keep)
    order = pos[np.argsort(comp[pos], kind="stable")]
    cs = comp[order]
    bounds = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1], True])
    return {int(cs[a]): order[a:b] for a, b in itertools.pairwise(bounds)}


def _cut(
    members: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    evidence: np.ndarray,
    rejected: np.ndarray,
    threshold: float,
    cap: int,
    capped: list[int],
    together: np.ndarray,
) -> list[np.ndarray]:
    """Clusters of one component (`members`: its record positions, ascending) at the
    threshold."""
    k = len(members)
    if k > cap:
        capped.append(k)
        return _split_capped(
            members, left, right, prob, evidence, rejected, threshold, cap, capped, together
        )
    ok = ~rejected
    strong = ok & (prob >= threshold)
    if not rejected.any():
        if k == 2:
            return [members] if strong.any() else [members[:1], members[1:]]
        if int(strong.sum()) == k * (k - 1) // 2:
            return [members]  # every pair makes it: one cluster (all merge heights qualify)
        if not strong.any():
            return [members[i : i + 1] for i in range(k)]
    li, ri = np.searchsorted(members, left), np.searchsorted(members, right)  # members ascend
    dist = np.ones((k, k))  # a pair never scored: a non-match that counts fully
    weight = np.ones((k, k))
    forbid = np.zeros((k, k), dtype=bool)
    dist[li, ri] = dist[ri, li] = 1.0 - prob
    weight[li, ri] = weight[ri, li] = evidence
    forbid[li, ri] = forbid[ri, li] = rejected
    return [members[g] for g in average_linkage(dist, weight, forbid, together[members], threshold)]


def _split_capped(
    members: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    evidence: np.ndarray,
    rejected: np.ndarray,
    threshold: float,
    cap: int,
    capped: list[int],
    together: np.ndarray,
) -> list[np.ndarray]:
    """A component too big to link, cut into `capped_parts`, then each part clustered; a
    part no level cuts small enough falls into its connected components at the threshold."""
    li, ri = np.searchsorted(members, left), np.searchsorted(members, right)  # members ascend
    part = capped_parts(li, ri, prob, rejected, together[members], cap)
    inside = np.flatnonzero(part[li] == part[ri])  # pairs within one part
    subs = positions_by_label(part, len(members))
    ats = positions_by_label(part[li[inside]], len(members))
    out = []
    for p in np.unique(part):
        at = inside[ats[p]]
        if len(subs[p]) <= cap:
            out += _cut(
                members[subs[p]],
                left[at],
                right[at],
                prob[at],
                evidence[at],
                rejected[at],
                threshold,
                cap,
                capped,
                together,
            )
            continue
        # still too big at the strongest level: its components at the threshold
        local = np.full(len(members), -1, dtype=np.int64)
        local[subs[p]] = np.arange(len(subs[p]))
        keep = ~rejected[at] & (prob[at] >= threshold)
        comp = _parts(local[li[at]], local[ri[at]], keep, together[members[subs[p]]])
        out += [members[subs[p]][g] for g in positions_by_label(comp, len(subs[p])) if len(g)]
    return out


CUT_LEVELS = (0.5, 0.7, 0.9, 0.97, 0.99, 0.999)


def capped_parts(
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    rejected: np.ndarray,
    group: np.ndarray,
    cap: int,
) -> np.ndarray:
    """The parts a component too big to link is cut into (a part number per record; pairs
    as positions among its `len(group)` records): a part over `cap` records drops its
    weakest pairs, at the next of `CUT_LEVELS`, and falls into its connected components;
    parts that fit are left as they are. The levels depend on the component, not the
    threshold. Records of one `group` (confirmed as one person, -1 for none) stay in one
    part. A part still over the cap at the strongest level stays whole (the caller does
    not link it)."""
    k = len(group)
    part = np.zeros(k, dtype=np.int64)
    ok = ~rejected
    for level in CUT_LEVELS:
        size = np.bincount(part)
        big = size[part] > cap  # records in a part over the cap
        if not big.any():
            break
        # pairs inside a part over the cap that reach the level; records elsewhere stay put
        keep = big[left] & (part[left] == part[right]) & ok & (prob >= level)
        cut = _parts(left, right, keep, np.where(big, group, -1))
        # a new part: (old part, piece) for the big parts, the old part for the rest
        key = np.where(big, k + cut, part)
        part = np.unique(key, return_inverse=True)[1].astype(np.int64)
    return part


def _parts(left: np.ndarray, right: np.ndarray, keep: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Connected components of a component's records over the `keep` pairs and its groups."""
    grouped = np.flatnonzero(group >= 0)
    first: dict[int, int] = {}
    for i in grouped:
        first.setdefault(int(group[i]), int(i))
    gl = np.array([first[int(group[i])] for i in grouped], dtype=np.int64)
    return _components(len(group), np.r_[left[keep], gl], np.r_[right[keep], grouped])


def positions_by_label(labels: np.ndarray, size: int) -> list[np.ndarray]:
    """For each label 0..size-1, the positions holding it in their order (what
    np.flatnonzero(labels == x) gives), by one stable sort instead of a pass over every
    position per label: seconds on a component that falls into thousands of parts
    (Splink's historical persons with labels)."""
    counts = np.bincount(labels, minlength=size)
    groups = np.split(np.argsort(labels, kind="stable"), np.cumsum(counts)[:-1])
    return groups[: len(counts)]  # no labels: none (np.split still gives one, empty)


def missing_pairs(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    prob: np.ndarray,
    floor: float,
    sparse: np.ndarray,
    cap: int = 500,
    decisions: Decisions | None = None,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs `cluster` links without a score: pairs of records in one of its components
    (dense records, pairs at or above the floor and steward-confirmed ones, never rejected
    ones; a component over `cap` records cut into its `capped_parts`) that blocking never
    put together. Scored too, linkage sees real probabilities, not zeros; and with every pair
    of a part scored, pairs below the floor outside the parts change nothing, so clustering
    the stored edges (at or above the floor) with these gives what batch gave from every
    candidate pair (`idgraph evaluate`, the dial). In link-only mode (`groups`) only pairs
    blocking could have compared (`linkable`)."""
    decisions = decisions or Decisions()
    left, right = np.asarray(left), np.asarray(right)
    dense = _linkable(n, sparse, decisions)
    keep = (np.asarray(prob) >= floor) & dense[left] & dense[right]
    if decisions.rejected:
        pairs = np.array(decisions.rejected, dtype=np.int64).reshape(-1, 2)
        keep &= ~np.isin(_pair_key(n, left, right), _pair_key(n, pairs[:, 0], pairs[:, 1]))
    el, er, ep = left[keep], right[keep], np.asarray(prob)[keep]
    if decisions.confirmed:
        pairs = np.array(decisions.confirmed, dtype=np.int64).reshape(-1, 2)
        el, er = np.r_[el, pairs[:, 0]], np.r_[er, pairs[:, 1]]
        ep = np.r_[ep, np.ones(len(pairs))]
    part = _components(n, el, er)
    size = np.bincount(part, minlength=n)
    big = np.flatnonzero(size > cap)
    if len(big):
        together = _closure(n, decisions.confirmed)
        local = np.zeros(n, dtype=np.int64)
        fresh = n  # parts numbered past every component
        for c, members in _members(part, big).items():
            local[members] = np.arange(len(members))
            at = part[el] == c
            cut = capped_parts(
                local[el[at]],
                local[er[at]],
                ep[at],
                np.zeros(int(at.sum()), dtype=bool),
                together[members],
                cap,
            )
            part[members] = fresh + cut  # a part still over the cap is not linked
            fresh += len(members)
        size = np.bincount(part)
    which = np.flatnonzero((size > 2) & (size <= cap))
    if not len(which):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    members_by = _members(part, which)
    out = []
    by_size: dict[int, list[np.ndarray]] = {}
    for m in members_by.values():
        by_size.setdefault(len(m), []).append(m)
    for k, alike in by_size.items():
        block = np.stack(alike)
        a, b = np.triu_indices(k, 1)
        out.append(_pair_key(n, block[:, a].ravel(), block[:, b].ravel()))
    wanted = np.sort(np.concatenate(out))  # distinct: each part's pairs once
    # Only the scored pairs inside those parts can be among them (a set difference against
    # every scored pair hashed all of them: 1.6 of 1.7 s at 100k records). The parts by a
    # mask and the pairs by a binary search: sorting for two `isin`s was a third of this.
    chosen = np.zeros(len(size), dtype=bool)
    chosen[which] = True
    inside = (part[left] == part[right]) & chosen[part[left]]
    have = np.sort(_pair_key(n, left[inside], right[inside]))
    at = np.minimum(np.searchsorted(have, wanted), max(len(have) - 1, 0))
    scored = have[at] == wanted if len(have) else np.zeros(len(wanted), dtype=bool)
    new = wanted[~scored]
    new = new[linkable(groups, new // n, new % n)]
    return new // n, new % n


def _linkable(n: int, sparse: np.ndarray | None, decisions: Decisions) -> np.ndarray:
    """Records that take part in linkage: the dense ones and any a steward confirmed."""
    out = np.ones(n, dtype=bool) if sparse is None else ~np.asarray(sparse, dtype=bool)
    for a, b in decisions.confirmed:
        out[a] = out[b] = True
    return out
