"""Aggregate and preference metrics over every interaction of a set of profiles at once, as
numpy columns: one read of the interactions serves every window, filter and preference.

Reading (`read_events`): for every active profile (a batch, a page of profiles per read) the
store sends each profile's interactions packed as three lists of numbers: a code (type,
channel and source as numbers from a vocabulary read first, and whether the interaction has a
value), the time and the value. Numbers in lists cost the FalkorDB client a fraction of what
one value per cell does (docs/metrics.md, "How a batch reads"). For the few profiles an event
touches the store sends plain rows and the vocabulary is built from them. Both give the same
`Events`; values are held to 6 decimals either way (FalkorDB sends numbers in lists as text
with 6 decimals), so a batch and an event compute the same numbers.

Folding (`aggregates`, `preferences`): boolean masks over the events, then per-profile
bincounts and sorts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.metrics.changes import Value
from app.metrics.definitions import Aggregate, Preference, window_ms
from app.store import GraphStore
from app.store.reads import NumberLists

ATTRS = ("type", "channel", "source")
Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]


@dataclass
class Events:
    """Interactions of `n` profiles as parallel columns: as read, profile k is owners[k];
    placed(index) puts them at the positions of the caller's profile ids."""

    n: int
    profile: Ints  # position of the interaction's profile
    owners: list[str]  # profile id at each position
    ts: Floats  # epoch ms
    value: Floats  # NaN where the interaction has no value
    codes: dict[str, Ints]  # attribute -> 1 + its position in vocab[attribute]; 0 for none
    vocab: dict[str, list[str]]  # attribute -> its values, sorted (so codes sort as text)

    def placed(self, index: list[str]) -> Events:
        """The interactions at the positions of `index` (those of other profiles dropped)."""
        pos = {pid: k for k, pid in enumerate(index)}
        where = np.array([pos.get(o, -1) for o in self.owners], dtype=np.int64)
        at = where[self.profile] if len(self.profile) else self.profile
        keep = at >= 0
        return Events(
            n=len(index),
            profile=at[keep],
            owners=list(index),
            ts=self.ts[keep],
            value=self.value[keep],
            codes={a: c[keep] for a, c in self.codes.items()},
            vocab=self.vocab,
        )

    def code_set(self, attr: str, allowed: Sequence[str]) -> Ints:
        lookup = {v: k + 1 for k, v in enumerate(self.vocab[attr])}
        return np.array([lookup[v] for v in allowed if v in lookup], dtype=np.int64)


def _bits(n: int) -> int:
    return max(1, int(n).bit_length())


def read_events(store: GraphStore, pages: Sequence[list[str]], until: int, packed: bool) -> Events:
    """The interactions up to `until` of the active profiles among `pages` of profile ids,
    read a page at a time; `packed` (a batch): as numbers, else as plain rows (an event's
    few profiles, where reading the vocabulary first would cost more than it saves)."""
    if packed:
        return _read_packed(store, until, pages)
    return _from_rows(
        [r for ids in pages for r in store.read("metrics_interactions_of", ids=ids, until=until)]
    )


def _read_packed(store: GraphStore, until: int, pages: Sequence[list[str]]) -> Events:
    vocab: dict[str, list[str]] = {a: [] for a in ATTRS}
    seen: dict[str, set[str]] = {a: set() for a in ATTRS}
    for row in store.read("metrics_vocabulary"):
        for a in ATTRS:
            v = row[a]
            if isinstance(v, str) and v not in seen[a]:
                seen[a].add(v)
                vocab[a].append(v)
    for a in ATTRS:
        vocab[a].sort()
    tb, cb, sb = (_bits(len(vocab[a]) + 1) for a in ATTRS)
    if tb + cb + sb + 1 > 52:
        raise ValueError("too many distinct interaction types, channels and sources to pack")
    maps = {a: {v: k + 1 for k, v in enumerate(vocab[a])} for a in ATTRS}
    packed = NumberLists.joined(
        [
            store.read_number_lists(
                "metrics_interactions_packed",
                ids=ids,
                until=until,
                types=maps["type"],
                channels=maps["channel"],
                sources=maps["source"],
                typeMul=2 ** (cb + sb + 1),
                channelMul=2 ** (sb + 1),
            )
            for ids in pages
        ]
    )
    owners = [str(k) for k in packed.keys]
    profile = np.repeat(np.arange(len(owners), dtype=np.int64), packed.lengths)
    code = packed.columns.get("codes", np.zeros(0)).astype(np.int64)
    has = (code & 1).astype(bool)
    value = np.where(has, packed.columns.get("vals", np.zeros(0)), np.nan)
    return Events(
        n=len(owners),
        profile=profile,
        owners=owners,
        ts=packed.columns.get("ts", np.zeros(0)),
        value=value,
        codes={
            "type": code >> (cb + sb + 1),
            "channel": (code >> (sb + 1)) & ((1 << cb) - 1),
            "source": (code >> 1) & ((1 << sb) - 1),
        },
        vocab=vocab,
    )


def _from_rows(rows: list[dict[str, Any]]) -> Events:
    """metrics_interactions_of rows: profileId and events, lists of [type, channel, source,
    ts, value]."""
    flat = [(k, e) for k, r in enumerate(rows) for e in r["events"]]
    vocab = {
        a: sorted({e[k] for _, e in flat if isinstance(e[k], str)}) for k, a in enumerate(ATTRS)
    }
    maps = {a: {v: k + 1 for k, v in enumerate(vocab[a])} for a in ATTRS}

    def numbers(k: int, places: int | None = None) -> Floats:
        return np.array(
            [np.nan if e[k] is None else round(float(e[k]), places) for _, e in flat], dtype=float
        )

    return Events(
        n=len(rows),
        profile=np.array([p for p, _ in flat], dtype=np.int64),
        owners=[str(r["profileId"]) for r in rows],
        ts=numbers(3),
        value=numbers(4, 6),
        codes={
            a: np.array([maps[a].get(e[k], 0) for _, e in flat], dtype=np.int64)
            for k, a in enumerate(ATTRS)
        },
        vocab=vocab,
    )


def _listed(
    values: Floats, present: np.ndarray[Any, Any], rounded: Callable[[Any], Value]
) -> list[Value]:
    """Per-profile numbers as stored values: None where the profile has none."""
    return [
        rounded(v) if ok else None for v, ok in zip(values.tolist(), present.tolist(), strict=True)
    ]


def aggregates(
    ev: Events, defs: Sequence[Aggregate], now_ms: int, rounded: Callable[[Any], Value]
) -> dict[str, list[Value]]:
    """count / sum / avg / min / max / distinct per profile over each definition's window
    (interactions after its start) and filter."""
    out: dict[str, list[Value]] = {}
    has = ~np.isnan(ev.value)
    for d in defs:
        w = d.where
        mask = np.ones(len(ev.ts), dtype=bool)
        span = window_ms(d.window)
        if span is not None:
            mask &= ev.ts > now_ms - span
        for attr, allowed in (("type", w.types), ("channel", w.channels), ("source", w.sources)):
            if allowed is not None:
                mask &= np.isin(ev.codes[attr], ev.code_set(attr, allowed))
        if w.min_value is not None or w.max_value is not None:
            lo = -np.inf if w.min_value is None else w.min_value
            hi = np.inf if w.max_value is None else w.max_value
            with np.errstate(invalid="ignore"):
                mask &= has & (ev.value >= lo) & (ev.value <= hi)
        who = ev.profile[mask]
        if d.agg == "count":
            out[d.name] = list(np.bincount(who, minlength=ev.n).tolist())
            continue
        if d.agg == "distinct":
            if d.of == "value":
                pick = mask & has
                pairs = np.unique(
                    np.stack([ev.profile[pick].astype(float), ev.value[pick]]), axis=1
                )
                owners = pairs[0].astype(np.int64)
            else:
                code = ev.codes[d.of]
                pick = mask & (code > 0)
                owners = np.unique(
                    ev.profile[pick] * (int(code.max(initial=0)) + 1) + code[pick]
                ) // (int(code.max(initial=0)) + 1)
            out[d.name] = list(np.bincount(owners, minlength=ev.n).tolist())
            continue
        pick = mask & has
        who, vals = ev.profile[pick], ev.value[pick]
        seen = np.bincount(who, minlength=ev.n) > 0
        if d.agg == "sum":
            total = np.bincount(who, weights=vals, minlength=ev.n)
            out[d.name] = [rounded(v) for v in total.tolist()]
        elif d.agg == "avg":
            total = np.bincount(who, weights=vals, minlength=ev.n)
            count = np.maximum(np.bincount(who, minlength=ev.n), 1)
            out[d.name] = _listed(total / count, seen, rounded)
        else:
            best = np.full(ev.n, np.inf if d.agg == "min" else -np.inf)
            (np.minimum if d.agg == "min" else np.maximum).at(best, who, vals)
            out[d.name] = _listed(best, seen, rounded)
    return out


def preferences(
    ev: Events, defs: Sequence[Preference], now_ms: int, rounded: Callable[[Any], Value]
) -> dict[str, list[Value]]:
    """The attribute value with the best decayed response score per profile: summed decayed
    responses, or (responses + 1) / (exposures + 2) when exposures are named; ties go to the
    value first in text order."""
    out: dict[str, list[Value]] = {}
    hour = (ev.ts // 3_600_000) % 24  # occurredAt is UTC and agrees with ts
    for d in defs:
        code = ev.codes[d.over]
        mask = code > 0
        span = window_ms(d.window)
        if span is not None:
            mask &= ev.ts > now_ms - span
        if d.hours is not None:
            a, b = d.hours
            mask &= ((hour >= a) & (hour < b)) if a < b else ((hour >= a) | (hour < b))
        is_resp = mask & np.isin(ev.codes["type"], ev.code_set("type", d.responses))
        is_expo = (
            mask & np.isin(ev.codes["type"], ev.code_set("type", d.exposures))
            if d.exposures
            else np.zeros(len(mask), dtype=bool)
        )
        pick = is_resp | is_expo
        half = float(window_ms(d.half_life) or 1)
        weight = np.power(0.5, (now_ms - ev.ts[pick]) / half)
        width = int(code.max(initial=0)) + 1
        pairs, inv = np.unique(ev.profile[pick] * width + code[pick], return_inverse=True)
        resp = np.bincount(inv, weights=weight * is_resp[pick], minlength=len(pairs))
        owner, value_code = pairs // width, pairs % width
        if d.exposures:
            expo = np.bincount(inv, weights=weight * is_expo[pick], minlength=len(pairs))
            responded = np.bincount(owner, weights=resp, minlength=ev.n) > 0
            keep = responded[owner]
            score = (resp + 1.0) / (expo + 2.0)
        else:
            keep = np.bincount(inv, weights=is_resp[pick], minlength=len(pairs)) > 0
            score = resp
        owner, value_code, score = owner[keep], value_code[keep], score[keep]
        order = np.lexsort((value_code, -score, owner))
        owner, value_code = owner[order], value_code[order]
        first = np.ones(len(owner), dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        col: list[Value] = [None] * ev.n
        names = ev.vocab[d.over]
        for p, c in zip(owner[first].tolist(), value_code[first].tolist(), strict=True):
            col[p] = rounded(names[c - 1])
        out[d.name] = col
    return out
