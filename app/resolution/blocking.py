"""Candidate pairs by explicit blocking keys: stable (no learned predicates), vectorised, and
bounded (blocks larger than a cap are skipped and counted, never expanded)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from doublemetaphone import doublemetaphone

from app.resolution.names import FORMAL


def _phonetic(s: pd.Series) -> pd.Series:
    """Primary double-metaphone code of each value, computed once per distinct value."""
    values = s.dropna().unique()
    codes = {v: doublemetaphone(str(v))[0] or None for v in values}
    return s.map(codes)


def _join(*parts: pd.Series) -> pd.Series:
    out = parts[0].astype("str")
    for p in parts[1:]:
        out = out + "|" + p.astype("str")
    ok = pd.concat([p.notna() for p in parts], axis=1).all(axis=1)
    return out.where(ok, None)


def _unordered(a: pd.Series, b: pd.Series) -> pd.Series:
    """The two values in sorted order, so "John Smith" and "Smith John" share a key."""
    first = a.where(a <= b, b)
    second = b.where(a <= b, a)
    return _join(first, second)


def _outward(postcode: pd.Series) -> pd.Series:
    return postcode.str.extract(r"^(\S+)", expand=False)


# Name frequency counts records sharing a name key up to this many (the candidate lookup's
# per-key limit, so batch and real time count alike).
NAME_COUNT_CAP = 50

KeyFn = Callable[[pd.DataFrame, dict[str, pd.Series]], pd.Series]

# Each key is a rule a steward would accept as "worth comparing". Several overlapping keys
# keep recall when any one field is missing, mistyped or out of date.
BLOCKING_KEYS: dict[str, KeyFn] = {
    "email": lambda df, ph: df["email"],
    "phone": lambda df, ph: df["phone"],
    "address_initial": lambda df, ph: _join(df["addressId"], df["firstName"].str[:1]),
    "dob_last": lambda df, ph: _join(df["dateOfBirth"], ph["last"]),
    "dob_first": lambda df, ph: _join(df["dateOfBirth"], ph["first"]),
    "dob_any_order": lambda df, ph: _join(df["dateOfBirth"], _unordered(ph["first"], ph["last"])),
    "names_postcode": lambda df, ph: _join(ph["first"], ph["last"], _outward(df["postcode"])),
    "names_city": lambda df, ph: _join(ph["first"], ph["last"], df["city"].str.lower()),
    "last_postcode": lambda df, ph: _join(ph["last"], df["postcode"]),
    "names": lambda df, ph: _join(ph["first"], ph["last"]),
    "formal_names": lambda df, ph: _join(ph["formal"], ph["last"]),
    # a typo in the surname or no surname at all: the same first name at the same postcode
    "postcode_formal": lambda df, ph: _join(df["postcode"], ph["formal"]),
}  # fmt: skip

RECORD_COLUMNS = (
    "firstName", "lastName", "dateOfBirth", "email", "phone", "addressId", "postcode", "city",
)  # fmt: skip


@dataclass
class Candidates:
    """Pairs of record positions (left < right) and how each key contributed."""

    left: np.ndarray
    right: np.ndarray
    per_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)

    @property
    def pairs(self) -> np.ndarray:
        return np.column_stack([self.left, self.right])


def _block_pairs(key: pd.Series, cap: int) -> tuple[np.ndarray, int]:
    """Encoded pairs (i * n + j, i < j) of positions sharing a key value, blocks <= cap."""
    n = len(key)
    codes, _ = pd.factorize(key, use_na_sentinel=True)
    pos = np.flatnonzero(codes >= 0)
    if not len(pos):
        return np.empty(0, dtype=np.int64), 0
    order = pos[np.argsort(codes[pos], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    skipped = int((sizes > cap).sum())
    out = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]):
        block_starts = starts[sizes == size]
        members = order[block_starts[:, None] + np.arange(size)]  # (blocks, size) positions
        a, b = np.triu_indices(size, k=1)
        lo = np.minimum(members[:, a], members[:, b]).ravel()
        hi = np.maximum(members[:, a], members[:, b]).ravel()
        out.append(lo.astype(np.int64) * n + hi)
    return (np.concatenate(out) if out else np.empty(0, dtype=np.int64)), skipped


def key_property(name: str) -> str:
    """Customer property holding a key ("dob_last" -> "bkDobLast"); email and phone are the
    record's own properties."""
    if name in ("email", "phone"):
        return name
    return "bk" + "".join(part.title() for part in name.split("_"))


def key_frame(records: pd.DataFrame) -> pd.DataFrame:
    """Every blocking key of every record (rows in the order of `records`)."""
    missing = [c for c in RECORD_COLUMNS if c not in records]
    if missing:
        raise ValueError(f"records lack column(s) {missing}")
    # Text columns as pandas' string dtype even when a column is all missing.
    df = records.reset_index(drop=True)[list(RECORD_COLUMNS)].astype("str")
    formal = df["firstName"].str.lower().map(lambda f: FORMAL.get(f, f), na_action="ignore")
    phonetic = {
        "first": _phonetic(df["firstName"]),
        "last": _phonetic(df["lastName"]),
        "formal": _phonetic(formal),  # "Bob" and "Robert" share a key
    }
    return pd.DataFrame({name: fn(df, phonetic) for name, fn in BLOCKING_KEYS.items()})


def name_frequency(records: pd.DataFrame, cap: int = NAME_COUNT_CAP) -> pd.Series:
    """Per record, "<formal_names key>|<records sharing it, at most cap>" (None without a
    key): how common the record's name is, for the model's name-frequency comparator. The
    real-time path counts the same key's block as its candidate lookup returns it."""
    keys = key_frame(records)["formal_names"]
    counts = keys.map(keys.value_counts()).clip(upper=cap)
    out = keys + "|" + counts.astype("Int64").astype("str")
    out.index = records.index
    return out.where(keys.notna().to_numpy(), None)


def candidate_pairs(records: pd.DataFrame, cap: int = 50) -> Candidates:
    """Every pair of records (by position in `records`) that shares a blocking key."""
    keys = key_frame(records)
    encoded, per_key, skipped = [], {}, {}
    for name in BLOCKING_KEYS:
        pairs, skipped[name] = _block_pairs(keys[name], cap)
        per_key[name] = len(pairs)
        encoded.append(pairs)
    unique = np.unique(np.concatenate(encoded)) if encoded else np.empty(0, dtype=np.int64)
    n = len(keys)
    return Candidates(unique // n, unique % n, per_key, skipped)


def _sound1(value: str | None) -> str | None:
    return (doublemetaphone(value)[0] or None) if value else None


def _join1(*parts: str | None) -> str | None:
    return None if any(p is None for p in parts) else "|".join(parts)  # type: ignore[arg-type]


def keys1(record: dict[str, Any]) -> dict[str, str | None]:
    """Every blocking key of one record, as `key_frame` computes them (real-time path)."""
    r = {c: (None if record.get(c) in (None, "") else str(record[c])) for c in RECORD_COLUMNS}
    first, last = _sound1(r["firstName"]), _sound1(r["lastName"])
    lower = r["firstName"].lower() if r["firstName"] else None
    formal = _sound1(FORMAL.get(lower, lower) if lower else None)
    pc, dob = r["postcode"], r["dateOfBirth"]
    outward = pc.split()[0] if pc and pc.split() else None
    ordered = sorted((first, last)) if first and last else [None, None]
    return {
        "email": r["email"],
        "phone": r["phone"],
        "address_initial": _join1(r["addressId"], r["firstName"][:1] if r["firstName"] else None),
        "dob_last": _join1(dob, last),
        "dob_first": _join1(dob, first),
        "dob_any_order": _join1(dob, ordered[0], ordered[1]),
        "names_postcode": _join1(first, last, outward),
        "names_city": _join1(first, last, r["city"].lower() if r["city"] else None),
        "last_postcode": _join1(last, pc),
        "names": _join1(first, last),
        "formal_names": _join1(formal, last),
        "postcode_formal": _join1(pc, formal),
    }
