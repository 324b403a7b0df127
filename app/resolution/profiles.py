"""Profiles from clusters: stable IDs with lineage, and golden attributes by survivorship.
Pure functions over plain data; batch.py writes their output."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

# Which record wins a field: the most recently updated, the most trusted source, or the
# most complete (longest) value. Address fields travel together.
SURVIVORSHIP: dict[str, str] = {
    "firstName": "most_complete",
    "lastName": "most_recent",
    "dateOfBirth": "most_trusted",
    "email": "most_recent",
    "phone": "most_recent",
    "address": "most_recent",
}
SOURCE_TRUST: tuple[str, ...] = ("crm", "loyalty", "webshop", "callcenter")
ADDRESS_FIELDS = ("addressId", "street", "city", "postcode")


@dataclass
class Assignment:
    """Profile ID per new cluster, and what happened to the IDs that existed before."""

    ids: list[str]
    absorbed: dict[str, list[str]] = field(default_factory=dict)  # kept id -> merged ids
    split_from: dict[str, list[str]] = field(default_factory=dict)  # new id -> source ids
    retired: dict[str, str] = field(default_factory=dict)  # vanished id -> successor id


def stable_id(prefix: str, members: Sequence[str]) -> str:
    """Deterministic for a set of members, so a rebuild from scratch gives the same IDs."""
    return prefix + hashlib.sha1("\n".join(sorted(members)).encode()).hexdigest()[:12]


def new_profile_id(members: Sequence[str]) -> str:
    return stable_id("PR-", members)


def assign_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    *,
    prefix: str = "PR-",
    keep_with_half_of_old: bool = False,
) -> Assignment:
    """Keep an existing ID for the new cluster holding most of its members (and more than
    half of the cluster, or with keep_with_half_of_old also at least half of the old group),
    largest overlaps first; other clusters get new IDs. Profiles and households both."""
    old_size = Counter(previous.values())
    overlap: Counter[tuple[int, str]] = Counter()
    for k, members in enumerate(clusters):
        for m in members:
            if m in previous:
                overlap[(k, previous[m])] += 1
    ids: list[str | None] = [None] * len(clusters)
    taken: set[str] = set()
    for (k, old), n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0])):
        holds = 2 * n > len(clusters[k]) or (keep_with_half_of_old and 2 * n >= old_size[old])
        if ids[k] is None and old not in taken and holds:
            ids[k] = old
            taken.add(old)
    out = Assignment(ids=[i or stable_id(prefix, clusters[k]) for k, i in enumerate(ids)])
    # lineage
    went: dict[str, Counter[int]] = defaultdict(Counter)
    for (k, old), n in overlap.items():
        went[old][k] = n
    for old, targets in went.items():
        if old not in taken:
            successor = max(targets.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            out.retired[old] = out.ids[successor]
            out.absorbed.setdefault(out.ids[successor], []).append(old)
    came: dict[int, set[str]] = defaultdict(set)
    for k, old in overlap:
        came[k].add(old)
    for k, pid in enumerate(out.ids):
        sources = sorted(came.get(k, set()) - {pid})
        if pid not in taken and sources:
            out.split_from[pid] = sources
    return out


def golden(records: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """One row per cluster label: each field from the record its survivorship rule picks."""
    df = records.assign(_cluster=labels.to_numpy())
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    df["_trust"] = df["source"].map(trust).fillna(len(trust))
    df["_recent"] = df["updatedAt"].fillna("")
    out = pd.DataFrame(index=pd.Index(sorted(df["_cluster"].unique()), name="cluster"))
    for name, rule in SURVIVORSHIP.items():
        cols = list(ADDRESS_FIELDS) if name == "address" else [name]
        key = cols[0]
        have = df[df[key].notna()]
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


def golden1(members: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """`golden` for one profile's member records, without pandas."""
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    out: dict[str, object] = {}
    for name, rule in SURVIVORSHIP.items():
        cols = list(ADDRESS_FIELDS) if name == "address" else [name]
        have = [m for m in members if m.get(cols[0]) is not None]

        def recent(m: Mapping[str, object]) -> str:
            return str(m.get("updatedAt") or "")

        def trusted(m: Mapping[str, object]) -> int:
            return trust.get(str(m.get("source")), len(trust))

        if rule == "most_recent":
            have.sort(key=trusted)
            have.sort(key=recent, reverse=True)
        elif rule == "most_trusted":
            have.sort(key=recent, reverse=True)
            have.sort(key=trusted)
        else:
            have.sort(key=recent, reverse=True)
            have.sort(key=lambda m: len(str(m.get(cols[0]))), reverse=True)
        for c in cols:
            # like groupby().first(): the first non-missing value of each column in that order
            out[c] = next((m[c] for m in have if m.get(c) is not None), None)
    return out
