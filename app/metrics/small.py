"""The folds of compute.py (store rows -> metric columns) in plain Python, for the few
profiles an event touches: pandas' fixed cost per call (about a millisecond under load, times
a dozen calls per metric) would dominate the per-event latency. tests/metrics/test_batch.py
checks that these and the pandas folds of a batch agree on every starter metric."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from app.metrics.changes import Value
from app.metrics.definitions import Aggregate, Factual, Preference, window_ms

Rounder = Callable[[Any], Value]


def aggregates(
    rows: list[dict[str, Any]], members: list[Aggregate], spans: list[int], index: list[str],
    rounded: Rounder,
) -> dict[str, list[Value]]:  # fmt: skip
    out: dict[str, list[Value]] = {}
    for d in members:
        w = d.where
        span = window_ms(d.window)
        band = -1 if span is None else spans.index(span)
        mine: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            if r["band"] <= band:
                continue
            if (
                (w.types is not None and r["type"] not in w.types)
                or (w.channels is not None and r["channel"] not in w.channels)
                or (w.sources is not None and r["source"] not in w.sources)
            ):
                continue
            mine[r["profileId"]].append(r)
        col: list[Value] = []
        for pid in index:
            rs = mine.get(pid, [])
            if d.agg == "count":
                col.append(sum(int(r["n"]) for r in rs))
            elif d.agg == "sum":
                col.append(rounded(float(sum(r["total"] or 0 for r in rs))))
            elif d.agg == "avg":
                nv = sum(int(r["nv"]) for r in rs)
                total = sum(r["total"] or 0 for r in rs)
                col.append(rounded(total / nv) if nv > 0 else None)
            elif d.agg in ("min", "max"):
                key = "lo" if d.agg == "min" else "hi"
                vals = [r[key] for r in rs if r[key] is not None]
                pick = min if d.agg == "min" else max
                col.append(rounded(pick(vals)) if vals else None)
            else:
                col.append(len({r[d.of] for r in rs if r[d.of] is not None}))
        out[d.name] = col
    return out


def _hour(row: dict[str, Any]) -> int:
    occurred = row["occurredAt"]
    if isinstance(occurred, str) and occurred[10:11] == "T" and occurred[11:13].isdigit():
        return int(occurred[11:13])
    return int(row["ts"] // 3_600_000) % 24


def preferences(
    rows: list[dict[str, Any]], defs: list[Preference], now_ms: int, index: list[str],
    rounded: Rounder,
) -> dict[str, list[Value]]:  # fmt: skip
    out: dict[str, list[Value]] = {}
    for d in defs:
        span = window_ms(d.window)
        half = float(window_ms(d.half_life) or 1)
        resp: defaultdict[str, defaultdict[Any, float]] = defaultdict(lambda: defaultdict(float))
        expo: defaultdict[str, defaultdict[Any, float]] = defaultdict(lambda: defaultdict(float))
        for r in rows:
            if span is not None and r["ts"] <= now_ms - span:
                continue
            if d.hours is not None:
                a, b = d.hours
                h = _hour(r)
                if not (a <= h < b if a < b else (h >= a or h < b)):
                    continue
            key = r[d.over]
            if key is None:
                continue
            weight = 0.5 ** ((now_ms - float(r["ts"])) / half)
            if r["type"] in d.responses:
                resp[r["profileId"]][key] += weight
            if d.exposures and r["type"] in d.exposures:
                expo[r["profileId"]][key] += weight
        col: list[Value] = []
        for pid in index:
            r_: dict[Any, float] = resp.get(pid, {})
            e_: dict[Any, float] = expo.get(pid, {})
            if d.exposures:
                if sum(r_.values()) <= 0:
                    col.append(None)
                    continue
                scores = {
                    k: (r_.get(k, 0.0) + 1.0) / (e_.get(k, 0.0) + 2.0) for k in set(r_) | set(e_)
                }
            else:
                scores = dict(r_)
            if not scores:
                col.append(None)
                continue
            best = min(scores, key=lambda k: (-scores[k], k))
            col.append(rounded(best))
        out[d.name] = col
    return out


def facts(
    rows: list[dict[str, Any]], defs: list[Factual], fields: Sequence[str], index: list[str],
    rounded: Rounder,
) -> dict[str, list[Value]]:  # fmt: skip
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
