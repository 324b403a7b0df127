"""Profiles from clusters: stable IDs with lineage, and golden attributes by survivorship.
Pure functions over plain data; batch.py writes their output."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

# The order itself lives in app/survivorship.py: shared Address nodes use it too.
from app.survivorship import ADDRESS_FIELDS, SURVIVORSHIP, golden1  # noqa: F401 (placement)


@dataclass
class Assignment:
    """Profile ID per new cluster, and what happened to the IDs that existed before."""

    ids: list[str]
    absorbed: dict[str, list[str]] = field(default_factory=dict)  # kept id -> merged ids
    split_from: dict[str, list[str]] = field(default_factory=dict)  # new id -> source ids
    retired: dict[str, str] = field(default_factory=dict)  # vanished id -> successor id

    def churn(self, clusters: Sequence[Sequence[str]], previous: Mapping[str, str]) -> Churn:
        """What changed for users of the IDs: kept, merged away, split, new, moved records."""
        before = set(previous.values())  # once: per ID it was 37k x 100k steps at 100k
        kept = {i for i in self.ids if i in before}
        moved = sum(
            1
            for pid, members in zip(self.ids, clusters, strict=True)
            for m in members
            if m in previous and previous[m] != pid
        )
        return Churn(
            kept=len(kept),
            merged=len(self.retired),
            split=len(self.split_from),
            new=sum(1 for i in self.ids if i not in kept and i not in self.split_from),
            moved_records=moved,
        )


@dataclass
class Churn:
    kept: int = 0
    merged: int = 0  # old IDs retired into a successor
    split: int = 0  # new profiles split off an existing one
    new: int = 0  # new profiles of new records only
    moved_records: int = 0  # records whose profile ID changed


def stable_id(prefix: str, members: Sequence[str], salt: int = 0) -> str:
    """Deterministic for a set of members, so a rebuild from scratch gives the same IDs."""
    text = "\n".join(sorted(members)) + (f"\n#{salt}" if salt else "")
    return prefix + hashlib.sha1(text.encode()).hexdigest()[:12]


def new_profile_id(members: Sequence[str]) -> str:
    return stable_id("PR-", members)


def assign_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    *,
    prefix: str = "PR-",
    created: Mapping[str, str] | None = None,
    taken: Callable[[list[str]], set[str]] | None = None,
) -> Assignment:
    """IDs for new clusters by one rule, for profiles and households alike:

    - each old ID's home is the cluster holding most of its old members (ties: the
      cluster whose first member sorts first), so a profile keeps its ID while its old
      members stay together, whatever new records join it, and on a split the largest
      part keeps it;
    - a cluster that is home to several old IDs (a merge) keeps the one with the most
      members there, then the larger old profile, then the older (`created`), then the
      smaller ID; the others are absorbed into it (retired, pointing at it);
    - a cluster home to none gets a new ID derived from its members (the same records give
      the same ID on a rebuild), never one that was used before (`taken` says which of
      some IDs exist already); a cluster holding records of old profiles records them as
      `split_from`."""
    created = created or {}
    old_size = Counter(previous.values())
    overlap: Counter[tuple[int, str]] = Counter()
    for k, members in enumerate(clusters):
        for m in members:
            if m in previous:
                overlap[(k, previous[m])] += 1
    first = [min(members) if members else "" for members in clusters]
    home: dict[str, int] = {}
    for (k, old), n in overlap.items():
        best = home.get(old)
        if best is None or (-n, first[k]) < (-overlap[(best, old)], first[best]):
            home[old] = k
    claims: dict[int, list[str]] = defaultdict(list)
    for old, k in home.items():
        claims[k].append(old)
    ids: list[str | None] = [None] * len(clusters)
    out = Assignment(ids=[])
    for k, olds in claims.items():
        olds.sort(key=lambda o: (-overlap[(k, o)], -old_size[o], created.get(o, ""), o))
        ids[k] = olds[0]
        for loser in olds[1:]:
            out.retired[loser] = olds[0]
            out.absorbed.setdefault(olds[0], []).append(loser)
    fresh = [k for k, i in enumerate(ids) if i is None]
    proposed = {k: stable_id(prefix, clusters[k]) for k in fresh}
    used = set(previous.values()) | (
        taken(list(proposed.values())) if taken and proposed else set()
    )
    for k in fresh:
        salt, candidate = 0, proposed[k]
        while candidate in used:
            salt += 1
            candidate = stable_id(prefix, clusters[k], salt)
        used.add(candidate)
        ids[k] = candidate
        sources = sorted({previous[m] for m in clusters[k] if m in previous})
        if sources:
            out.split_from[candidate] = sources
    out.ids = [str(i) for i in ids]
    for kept in out.absorbed:
        out.absorbed[kept].sort()
    return out


def golden(records: pd.DataFrame, labels: pd.Series, trust_order: Sequence[str]) -> pd.DataFrame:
    """One row per cluster label: each field from the record its survivorship rule picks
    (`trust_order`: sources from most to least trusted, settings.source_trust)."""
    df = records.assign(_cluster=labels.to_numpy())
    trust = {s: i for i, s in enumerate(trust_order)}
    df["_trust"] = df["source"].map(trust).fillna(len(trust))
    df["_recent"] = df["updatedAt"].fillna("")
    out = pd.DataFrame(index=pd.Index(sorted(df["_cluster"].unique()), name="cluster"))
    for name, rule in SURVIVORSHIP.items():
        cols = list(ADDRESS_FIELDS) if name == "address" else [name]
        key = cols[0]
        have = df[["_cluster", "_trust", "_recent", *cols]]  # only what the rule reads
        have = have[have[key].notna()]
        if rule == "most_recent":
            have = have.sort_values(["_recent", "_trust"], ascending=[False, True], kind="stable")
        elif rule == "most_trusted":
            have = have.sort_values(["_trust", "_recent"], ascending=[True, False], kind="stable")
        else:
            have = have.assign(_len=have[key].str.len()).sort_values(
                ["_len", "_recent"], ascending=[False, False], kind="stable"
            )
        first = have.groupby("_cluster")[cols].first()
        for c in cols:
            out[c] = first[c]
    return out
