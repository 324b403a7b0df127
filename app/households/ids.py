"""Stable household IDs: a new group keeps the ID of the household it overlaps most, with
lineage for the IDs no group kept. Pure function over plain data."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class HouseholdIds:
    ids: list[str]
    absorbed: dict[str, list[str]] = field(default_factory=dict)  # kept id -> merged ids
    split_from: dict[str, list[str]] = field(default_factory=dict)  # new id -> source ids
    retired: dict[str, str] = field(default_factory=dict)  # vanished id -> successor id


def new_household_id(members: Sequence[str]) -> str:
    """Deterministic for a set of profiles, so a rebuild from scratch gives the same IDs."""
    return "HH-" + hashlib.sha1("\n".join(sorted(members)).encode()).hexdigest()[:12]


def assign_household_ids(
    groups: Sequence[Sequence[str]], previous: Mapping[str, str]
) -> HouseholdIds:
    """groups: profile ids per new household; previous: profile id -> current household id.

    Largest overlaps first, a group keeps an old ID when it holds more than half of the
    group or at least half of the old household: a person moving in keeps the household
    they join, a person moving out leaves the household's ID with those who stay."""
    old_size = Counter(previous.values())
    overlap: Counter[tuple[int, str]] = Counter()
    for k, members in enumerate(groups):
        for m in members:
            if m in previous:
                overlap[(k, previous[m])] += 1
    ids: list[str | None] = [None] * len(groups)
    taken: set[str] = set()
    for (k, old), n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0][1], kv[0][0])):
        if (
            ids[k] is None
            and old not in taken
            and (2 * n > len(groups[k]) or 2 * n >= old_size[old])
        ):
            ids[k] = old
            taken.add(old)
    out = HouseholdIds(ids=[i or new_household_id(groups[k]) for k, i in enumerate(ids)])
    went: dict[str, Counter[int]] = defaultdict(Counter)
    for (k, old), n in overlap.items():
        went[old][k] = n
    for old, targets in went.items():
        if old not in taken:
            successor = max(targets.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            out.retired[old] = out.ids[successor]
            out.absorbed.setdefault(out.ids[successor], []).append(old)
    came: dict[int, set[str]] = defaultdict(set)  # one pass, not a scan per group
    for k, old in overlap:
        came[k].add(old)
    for k, hid in enumerate(out.ids):
        sources = sorted(came.get(k, set()) - {hid})
        if hid not in taken and sources:
            out.split_from[hid] = sources
    return out
