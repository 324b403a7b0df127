"""Candidate pairs: records sharing the value of a blocking rule (one or two key parts, such
as "surname sound + birth date"). Blocks larger than a cap are skipped and counted, never
expanded, so work stays bounded; which rules to use is learned from the data at training
(app/resolution/rulechoice.py, `choose_rules`) and saved with the model."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from app.resolution.columns import IDENTIFIER_PREFIX, Column, Columns, halved, identifier_halves
from app.resolution.linkonly import linkable

Rule = tuple[str, ...]
_TEXT = np.dtypes.StringDType()  # variable-length text that numpy joins without Python
_DIGEST_KEYS = ("identitygraph-k1", "identitygraph-k2")  # SipHash keys: 16 characters
_FOLD = np.uint64(0x100000001B3)

# key part (a derived column, app/resolution/fields.py) -> the comparisons it draws on
KEY_PARTS: dict[str, tuple[str, ...]] = {
    "first": ("firstName",),
    "first_sound": ("firstName",),
    "first_init": ("firstName",),
    "last": ("lastName",),
    "last_sound": ("lastName",),
    "names": ("firstName", "lastName"),  # both sounds sorted: survives swapped names
    "last_or_first": ("firstName", "lastName"),  # a lone name may be the surname
    "dob": ("dateOfBirth",),
    "dob_year": ("dateOfBirth",),
    "dob_md": ("dateOfBirth",),
    "email": ("email",),
    "email_local": ("email",),  # the user name: survives a slip in the provider's name
    "phone": ("phone",),
    "street": ("address",),
    "street_no": ("address",),  # the house number: survives a slip in the street's name
    "postcode": ("address",),
    "postcode_district": ("address",),  # "ng22" of "NG22 0AT": fields.postcode_district
    "city": ("address",),
}
# parts that identify a person alone (a rule of their own); identifiers join them
SINGLE_PARTS = ("email", "phone", "names")


def part_comparisons(part: str) -> tuple[str, ...]:
    if part.startswith(IDENTIFIER_PREFIX):
        return (part,)
    whole = halved(part)
    return (whole,) if whole else KEY_PARTS[part]


def rule_comparisons(rule: Rule) -> set[str]:
    return {c for p in rule for c in part_comparisons(p)}


def rule_name(rule: Rule) -> str:
    return "+".join(rule)


def rule_property(rule: Rule) -> str:
    """The Customer property holding a record's value of the rule (indexed, for real time):
    ("last_sound", "dob") -> "bk_last_sound__dob"."""
    return "bk_" + "__".join(rule)


# The form of the stored keys, folded into every record's digest: a store written in an
# older form (the keys' texts, before 2026-12-05) has each record's keys rewritten once.
KEY_FORM = 2


@dataclass(frozen=True)
class KeyColumn:
    """A rule's key for every record, held as its distinct texts and, per record, the
    position of its key among them (-1: the record has no key). Records sharing a key share
    one text: at a million records the keys were 19 million strings, about a third of them
    distinct."""

    texts: np.ndarray  # object array of distinct keys
    at: np.ndarray  # int64 per record
    _hashes: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def hashed(self, salt: str) -> np.ndarray:
        """The distinct keys' SipHash under `salt`, computed once (the digest and the stored
        form both use the first)."""
        if salt not in self._hashes:
            self._hashes[salt] = _hashed(self.texts, salt)
        return self._hashes[salt]

    def text(self) -> Column:
        """The key's text per record, None where it has none."""
        return self._per_record(self.texts)

    def stored(self) -> Column:
        """The key as the graph holds it (`key_values`) per record, None where it has none."""
        stored = _as_stored(self.hashed(_KEY_SALT))
        return self._per_record(np.array(stored.tolist(), dtype=object))

    def _per_record(self, distinct: np.ndarray) -> Column:
        out = np.full(len(self.at), None, dtype=object)
        has = self.at >= 0
        out[has] = distinct[self.at[has]]
        return out


def key_values(texts: np.ndarray) -> np.ndarray:
    """The stored form of blocking keys: a signed 64-bit hash of each key's text (SipHash,
    the digest's first key), so the graph holds and indexes an integer per rule instead of a
    text. With 100k records' keys the integers took 0.58 of the texts' server time to write,
    and a million records' resolved store used 4.84 GB instead of 5.83 (docs/performance.md,
    "Blocking keys as integers"). Two different keys of one rule share a value with a chance
    of about 2^-64 a pair: real time then sees one more candidate, which scoring judges as
    any other."""
    return _as_stored(_hashed(texts, _KEY_SALT))


_KEY_SALT = _DIGEST_KEYS[0]


def _as_stored(hashes: np.ndarray) -> np.ndarray:
    return hashes.view(np.int64)


def key_digests(keys: Mapping[str, KeyColumn], sparse: np.ndarray) -> list[str]:
    """Per record: its blocking keys (property -> its rule's keys), sparse flag and KEY_FORM in
    one short value, stored beside them as `blockHash`: resolve rewrites a record's keys only
    when it differs, so it reads one value per record instead of every key
    (docs/performance.md, "Reading records"). Two 64-bit hashes (pandas' SipHash of every
    key under two keys) folded over the properties in name order: column by column, each
    distinct key hashed once, no text built per record."""
    props = sorted(keys)
    halves = []
    for salt in _DIGEST_KEYS:
        _hash_all([keys[p] for p in props], salt)
        names = _name_hashes(tuple(props), salt)
        none = _name_hashes((None,), salt)[0]
        start = np.uint64(KEY_FORM << 2)
        acc = np.where(np.asarray(sparse, dtype=bool), start | np.uint64(1), start | np.uint64(2))
        for i, p in enumerate(props):
            column = keys[p]
            hashed = np.append(column.hashed(salt), none)[column.at]  # -1: none
            acc = (acc * _FOLD) ^ hashed ^ names[i]
        halves.append(acc.tolist())
    return [f"{a:016x}{b:016x}" for a, b in zip(*halves, strict=True)]


def _hash_all(columns: Sequence[KeyColumn], salt: str) -> None:
    """Each column's `hashed(salt)`, computed in one call for those not yet hashed: a hash
    call costs about 12 us however short its input, and real time digests one record's 22
    keys under two salts (1.4 ms of a 20 ms upsert in 44 calls)."""
    todo = [c for c in columns if salt not in c._hashes]
    if not todo:
        return
    hashes = _hashed(np.concatenate([c.texts for c in todo]), salt)
    ends = np.cumsum([len(c.texts) for c in todo])
    for column, part in zip(todo, np.split(hashes, ends[:-1]), strict=True):
        column._hashes[salt] = part


def _hashed(values: np.ndarray, salt: str) -> np.ndarray:
    return pd.util.hash_array(np.asarray(values, dtype=object), hash_key=salt, categorize=False)


@functools.lru_cache(maxsize=64)
def _name_hashes(props: tuple[str | None, ...], salt: str) -> np.ndarray:
    return _hashed(np.array(props, dtype=object), salt)


def record_keys(texts: Mapping[str, str | None], sparse: bool) -> tuple[dict[str, int | None], str]:
    """One record's keys (real time): as the graph holds them (`KeyColumn.stored`, None for no
    key) by property, and their digest (`key_digests`), from one set of columns, so each key
    is hashed once per salt."""
    columns = {
        prop: KeyColumn(np.array([value], dtype=object), np.array([0 if value is not None else -1]))
        for prop, value in texts.items()
    }
    digest = key_digests(columns, np.array([sparse]))[0]
    return {prop: column.stored()[0] for prop, column in columns.items()}, digest


def parse_rule(text: str) -> Rule:
    return tuple(text.split("+"))


def key_parts(cols: Columns, identifier_types: Mapping[str, str]) -> list[str]:
    """The key parts the data has: declared identifiers, and the halves of those compared as
    typo-tolerant (`identifier_types`: type -> "exact" or "typo"), so that two records whose
    identifiers are one typo apart meet."""
    ids = [n for n in cols if n.startswith(IDENTIFIER_PREFIX)]
    typo = [n for n in ids if identifier_types.get(n[len(IDENTIFIER_PREFIX) :]) == "typo"]
    names = [*KEY_PARTS, *ids, *(h for n in typo for h in identifier_halves(n))]
    return [n for n in names if n in cols and cols.present(n).any()]


def candidate_rules(parts: Sequence[str]) -> list[Rule]:
    """Rules worth considering: each identifying part alone, and every two parts that draw on
    different comparisons (an identifier's half with a name, a birth date, a place)."""
    single = [p for p in parts if p in SINGLE_PARTS or p.startswith(IDENTIFIER_PREFIX)]
    rules: list[Rule] = [(p,) for p in single]
    others = [p for p in parts if p not in single]
    for a, b in itertools.combinations(others, 2):
        if not set(part_comparisons(a)) & set(part_comparisons(b)):
            rules.append((a, b))
    return rules


def lone_rules(parts: Sequence[str], rules: Sequence[Rule]) -> list[Rule]:
    """Each key part alone that is not a rule already (a surname, a birth date, a postcode):
    weighed when the rules are chosen, with their pairs scored by the trained model, but
    never in the pool the model learns from. Labels drawn from a pool that held them taught
    the model that a first name hardly matters (docs/performance.md, "Every key part alone,
    for choosing only"). Half an identifier is never a rule alone: a few digits of a
    national ID are no person."""
    have = set(rules)
    return [(p,) for p in parts if (p,) not in have and halved(p) is None]


def rule_codes(cols: Columns, rule: Rule) -> np.ndarray:
    """An integer per record, equal for records with equal values of every part of the rule,
    -1 where a part is missing (for blocking, without building keys as text)."""
    present = np.all([cols.codes[p] >= 0 for p in rule], axis=0)
    codes = cols.codes[rule[0]].astype(np.int64)
    for part in rule[1:]:
        other = cols.codes[part].astype(np.int64)
        codes = codes * (int(other.max(initial=0)) + 1) + other
        codes = pd.factorize(codes)[0].astype(np.int64)  # small numbers for the next part
    return np.where(present, codes, -1)


def rule_keys(cols: Columns, rule: Rule) -> KeyColumn:
    """The rule's key per record as text ("|"-joined parts; the graph holds its `key_values`
    for real-time lookups), none where a part is missing. Built column by column, each
    distinct key once (`rule_key1` for one record)."""
    codes = rule_codes(cols, rule)
    has = np.flatnonzero(codes >= 0)
    at, _ = pd.factorize(codes[has])  # numbered in order of first appearance
    seen = np.maximum.accumulate(at) if len(at) else at
    first = has[np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])] if len(at) else has
    text = None
    for part in rule:
        values = np.asarray(cols[part], dtype=object)[first].astype(_TEXT)
        text = values if text is None else np.strings.add(np.strings.add(text, "|"), values)
    assert text is not None
    out = np.full(len(codes), -1, dtype=np.int64)
    out[has] = at
    return KeyColumn(text.astype(object), out)


def rule_key1(derived: Mapping[str, object], rule: Rule) -> str | None:
    """`rule_key` for one record (real time)."""
    vals = [derived.get(p) for p in rule]
    return None if any(v is None for v in vals) else "|".join(str(v) for v in vals)


@dataclass
class Candidates:
    """Pairs of record positions (left < right), and what the blocking left out."""

    left: np.ndarray
    right: np.ndarray
    per_rule: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    skipped_pairs: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, np.ndarray] = field(default_factory=dict)  # encoded pairs, if kept

    def __len__(self) -> int:
        return len(self.left)

    @property
    def encoded(self) -> np.ndarray:
        n = int(max(self.right.max(initial=0), self.left.max(initial=0))) + 1
        return self.left.astype(np.int64) * n + self.right


def block_pairs(
    codes: np.ndarray, cap: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, int, int]:
    """Encoded pairs (i * n + j, i < j) of records with the same code (>= 0) in blocks of at
    most `cap` records; with `groups` (link-only), only pairs of records in two different
    groups, never of a record in group -1. Also the number of blocks skipped as too big and
    the pairs they held."""
    n = len(codes)
    pos = np.flatnonzero(codes >= 0)
    if not len(pos):
        return np.empty(0, dtype=np.int64), 0, 0
    order = pos[np.argsort(codes[pos], kind="stable")]
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    big = sizes > cap
    out = []
    for size in np.unique(sizes[(sizes >= 2) & ~big]):
        block_starts = starts[sizes == size]
        members = order[block_starts[:, None] + np.arange(size)]
        a, b = np.triu_indices(size, k=1)
        lo = np.minimum(members[:, a], members[:, b]).ravel()
        hi = np.maximum(members[:, a], members[:, b]).ravel()
        out.append(lo.astype(np.int64) * n + hi)
    encoded = np.concatenate(out) if out else np.empty(0, dtype=np.int64)
    if groups is not None and len(encoded):
        encoded = encoded[linkable(groups, encoded // n, encoded % n)]
    big_sizes = sizes[big].astype(np.int64)
    return encoded, int(big.sum()), int((big_sizes * (big_sizes - 1) // 2).sum())


def candidate_pairs(
    cols: Columns,
    rules: Sequence[Rule],
    cap: int,
    groups: np.ndarray | None = None,
    keep_rule_pairs: bool = False,
) -> Candidates:
    """Every pair of records that shares the value of any rule (positions in `cols`).
    With keep_rule_pairs, each rule's pairs (encoded i * n + j) are kept in `by_rule`."""
    n = len(next(iter(cols.values()))) if cols else 0
    encoded, per_rule, skipped, skipped_pairs = [], {}, {}, {}
    for rule in rules:
        name = rule_name(rule)
        pairs, skipped[name], skipped_pairs[name] = block_pairs(rule_codes(cols, rule), cap, groups)
        per_rule[name] = len(pairs)
        encoded.append(pairs)
    unique = _unique(np.concatenate(encoded)) if encoded else np.empty(0, dtype=np.int64)
    by_rule = (
        {rule_name(r): e for r, e in zip(rules, encoded, strict=True)} if keep_rule_pairs else {}
    )
    return Candidates(
        unique // max(n, 1), unique % max(n, 1), per_rule, skipped, skipped_pairs, by_rule
    )


def in_sample(encoded: np.ndarray, share: float) -> np.ndarray:
    """Whether each encoded pair (i * n + j) is in the sample of about `share` of all pairs:
    the pairs whose key's hash (murmur3's 64-bit finaliser) falls in the lowest `share` of
    its range. A pair is in or out whichever rule found it, and the sample at a smaller share
    lies within the sample at a larger one."""
    if share >= 1.0:
        return np.ones(len(encoded), dtype=bool)
    h = np.asarray(encoded, dtype=np.int64).view(np.uint64).copy()
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h < np.uint64(min(int(share * 2.0**64), 2**64 - 1))


def sampled(pairs: Candidates, n: int, share: float) -> Candidates:
    """`pairs` (of n records) with only the pairs `in_sample` at `share`: in the pool and in
    each rule's own pairs alike. The counts of what blocking found and skipped stay whole."""
    if share >= 1.0:
        return pairs
    keep = in_sample(pairs.left.astype(np.int64) * n + pairs.right, share)
    return Candidates(
        pairs.left[keep],
        pairs.right[keep],
        pairs.per_rule,
        pairs.skipped_blocks,
        pairs.skipped_pairs,
        {name: e[in_sample(e, share)] for name, e in pairs.by_rule.items()},
    )


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (numpy's hash-based unique is slower on millions of ints)."""
    values = np.sort(values, kind="stable")
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values
