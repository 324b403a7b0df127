"""The match model: a weight per level of each comparison (Fellegi-Sunter match weights,
learned without labels and refined by labelled pairs where there are some), a prior, term
frequencies for values that are rarer or commoner than most, and the blocking rules chosen
for the data. Saved as versioned JSON; a pair's log-odds is the prior plus one contribution
per comparison, which is also its explanation."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ConfigError
from app.resolution.blocking import Rule, parse_rule, rule_name
from app.resolution.columns import Columns
from app.resolution.common import too_common_pairs
from app.resolution.comparisons import NULL, Comparison, by_names, level_matrix
from app.resolution.similarity import first_of_each

FORMAT = "identity-graph/match-model/2"
# Probabilities are stored and clustered rounded to this many decimals, so that a profile
# re-derived from the stored edges (the dial, real time) sees exactly the numbers batch saw
# (FalkorDB returns doubles to 15 significant digits).
DECIMALS = 12
# What an exact agreement adds at the least, on the commonest value too: agreeing is evidence
# for a match, however common the value (log-odds).
MIN_AGREEMENT = 0.05
# An explanation's level for a field both records hold that was compared as missing because
# a value was too common to be evidence (common.TOO_COMMON): it pushes neither way (0.0).
TOO_COMMON_LEVEL = "too common to count"
# Levels split since models were first saved: comparison -> each split in turn, as (the
# level split in two, the number of levels before, the new half: the level or the next).
# A model saved before scores both halves with the weight the level had, as it did
# ("different" phones became "different, not both mobiles" and "two different mobiles",
# 2026-12-04; "different" addresses became "same postcode district" and "different",
# 2026-12-06, then "similar city" and "different", 2026-12-08; a "different" first name
# became "an initial, another letter" and "different", 2026-12-08, both a family's first
# names where "different" was).
SPLIT_LEVELS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "phone": ((3, 4, 4),),
    "address": ((6, 7, 6), (7, 8, 7)),
    "firstName": ((4, 5, 4),),
}
# Records sharing a surname whose first names compare at one of these levels may be two
# members of a family (household weights apply: app/resolution/family.py). Siblings
# and spouses often have names alike (Mark and Mary), so "somewhat similar" is one:
# at 100k records without labels F1 +0.0003-0.0011 on three populations, the pseudopeople
# town +0.0001-0.0002, FEBRL unchanged (2026-12-04). Models saved before had "different"
# alone, and keep it. "An initial, another letter" was part of "different" until
# 2026-12-08 and is a family's as "different" is.
FIRST_NAME_SPLIT = "an initial, another letter"  # split from "different" (SPLIT_LEVELS)
FAMILY_FIRST_NAMES = ("somewhat similar", "different", FIRST_NAME_SPLIT)
FIRST_FAMILY_BEFORE = ("different",)


@dataclass
class ComparisonWeights:
    """A comparison's learned numbers: weight per level (log-odds it adds; none for a missing
    field), m and u (chance of each level for a match and for a non-match), and how much
    of the term-frequency adjustment applies (0 for none)."""

    name: str
    weights: list[float]
    m: list[float]
    u: list[float]
    tf: float = 0.0
    compare: str | None = None  # declared identifiers and attributes: exact or typo


@dataclass
class TermFrequencies:
    """How many records carry each value that more than one record has, out of `total`
    records with a value. Unlisted values count once."""

    total: int
    counts: dict[str, int]
    u_exact: float
    # Names: a rare value agreeing counts for more (boost). Identifiers, e-mails, phones,
    # addresses: one person's records share their value, so a low count says nothing about
    # how rare it is among people; only a value commoner than usual (a junk phone shared by
    # a call centre's records) counts for less.
    boost: bool = True
    typical: float = 1.0  # no boost: a value held by more records than this counts for less
    # Names and compared attributes: how many other records of one person are expected to
    # carry the value a record has. They are in its count, but a value's rarity is among
    # other people's records: a surname one person's four records hold is not held by four
    # people. A count less these (at least 1) is what the frequency counts. 0 for a model
    # saved before (2026-12-08).
    own: float = 0.0

    def adjustment(self, values: np.ndarray) -> np.ndarray:
        """Names: log(u_exact / frequency), positive for a value rarer than the average
        agreement, negative for a commoner one. Others: log(typical / count) for a value more
        records hold than one person's usually do, else 0."""
        if not len(values):
            return np.zeros(0)
        counts = np.array([self.counts.get(str(v), 1) for v in values], dtype=np.float64)
        return self.adjustment_of_counts(counts)

    def adjustment_of_counts(self, counts: np.ndarray) -> np.ndarray:
        """The adjustment of values held by `counts` records each."""
        counts = np.asarray(counts, dtype=np.float64)
        if not self.boost:
            return np.minimum(np.log(self.typical / counts), 0.0)
        freq = np.maximum(counts - self.own, 1.0) / max(self.total, 1)
        return np.log(max(self.u_exact, 1e-12) / freq)


def with_missing(values: Any) -> np.ndarray:
    """Per-level values with a 0 after the last, so that `with_missing(w)[levels]` gives a
    level's value and 0 where the field is missing (NULL, -1, picks the last)."""
    return np.append(np.asarray(values, dtype=np.float64), 0.0)


@dataclass
class MatchModel:
    comparisons: list[ComparisonWeights]
    prior: float  # log-odds of a match before any evidence
    rules: list[Rule]
    term_frequencies: dict[str, TermFrequencies] = field(default_factory=dict)
    mode: str = "unsupervised"  # or supervised (labelled pairs moved the weights)
    trained_at: str = ""
    labels: dict[str, int] = field(default_factory=dict)  # source of labels -> pairs used
    link_only: list[str] = field(default_factory=list)  # sources linked across, never within
    report: dict[str, Any] = field(default_factory=dict)
    # Fields a household shares (address, phone, e-mail): per level, what is added to the
    # comparison's weight for a pair in `families` (0 or below: app/resolution/family.py,
    # household_weights). Empty for a model without them.
    household: dict[str, list[float]] = field(default_factory=dict)
    # The first-name levels (labels) at which records sharing a surname count as a family's.
    family_first_names: list[str] = field(default_factory=lambda: list(FAMILY_FIRST_NAMES))
    # Values too common to be evidence, per derived column (app/resolution/fields.py,
    # common_values): found in the training records, taken as missing wherever this model
    # compares or blocks records. Empty for a model without them.
    common: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def version(self) -> str:
        parts: list[Any] = [
            [c.__dict__ for c in self.comparisons],
            self.prior,
            self.rules,
            self.link_only,
        ]
        if self.household:  # a model without them keeps the version it had
            parts.append(self.household)
            if self.family_first_names != list(FIRST_FAMILY_BEFORE):
                parts.append(self.family_first_names)
        if self.common:  # likewise
            parts.append({k: sorted(v) for k, v in self.common.items()})
        body = json.dumps(parts, sort_keys=True)
        return "m-" + hashlib.sha256(body.encode()).hexdigest()[:10]

    def specs(self) -> list[Comparison]:
        compares = {c.name: c.compare for c in self.comparisons if c.compare}
        return by_names([c.name for c in self.comparisons], compares)

    def levels(self, cols: Columns, left: Any, right: Any) -> np.ndarray:
        return level_matrix(self.specs(), cols, left, right)

    def contributions(self, levels: np.ndarray, cols: Columns, left: Any) -> np.ndarray:
        """Log-odds each comparison adds for each pair (rows), 0 for a missing field. An exact
        agreement on a compared value is scaled by that value's frequency and never counts
        against a match; for a pair that looks like two members of a family (`families`),
        an agreement on a field households share adds less (`household`)."""
        left = np.asarray(left, dtype=np.int64)
        # Column by column: a column of a Fortran-ordered array is contiguous (at a million
        # records' 14 million pairs, 4.6 s of training went to strided writes).
        out = np.zeros(levels.shape, dtype=np.float64, order="F")
        for j, (comp, spec) in enumerate(zip(self.comparisons, self.specs(), strict=True)):
            lv = levels[:, j]
            out[:, j] = with_missing(comp.weights)[lv]
            table = self.term_frequencies.get(comp.name)
            if not comp.tf or table is None or spec.tf is None:
                continue
            exact = np.flatnonzero(lv == 0)
            if not len(exact):  # the records may lack the column (a real-time component
                continue  # of records without a declared identifier)
            # once per distinct value: names repeat across pairs
            first, inverse = first_of_each(cols.codes[spec.tf][left[exact]])
            values = cols[spec.tf][left[exact[first]]]
            adjusted = out[exact, j] + comp.tf * table.adjustment(values)[inverse]
            out[exact, j] = np.maximum(adjusted, 0.0)
        if self.household:
            family = self.families(levels)
            for j, comp in enumerate(self.comparisons):
                extra = self.household.get(comp.name)
                if extra is None:
                    continue
                at = np.flatnonzero(family & (levels[:, j] != NULL))
                push = out[at, j]
                # less for a family pair, but an agreement still pushes up (at least
                # MIN_AGREEMENT, or what it pushed if that was less)
                floor = np.minimum(push, MIN_AGREEMENT)
                add = np.asarray(extra, dtype=np.float64)[levels[at, j]]
                out[at, j] = np.where(add < 0, np.maximum(push + add, floor), push)
        return out

    def household_levels(self) -> list[tuple[int, int]]:
        """(comparison position, level) of every household weight, in order."""
        return [
            (j, k)
            for j, comp in enumerate(self.comparisons)
            for k in range(len(self.household.get(comp.name, ())))
        ]

    def families(self, levels: np.ndarray) -> np.ndarray:
        """`families` of the pairs where `household` applies: all false for a model without
        household weights."""
        if not self.household:
            return np.zeros(len(levels), dtype=bool)
        return families([c.name for c in self.comparisons], levels, self.family_first_names)

    def against(self, levels: np.ndarray) -> np.ndarray:
        """Per pair (rows of `levels`): the log-odds its fields push against a match, as a
        positive number: minus the sum of its negative contributions (`contributions`; an
        exact agreement scaled by its value's frequency is never negative, so the levels
        alone decide). 0 for a pair where no field disagrees: it lacks evidence rather than
        contradicting (app/resolution/cluster.py)."""
        out = np.zeros(len(levels), dtype=np.float64)
        for j, (comp, spec) in enumerate(zip(self.comparisons, self.specs(), strict=True)):
            lv = levels[:, j]
            push = np.maximum(-np.asarray(comp.weights, dtype=np.float64), 0.0)
            if comp.tf and comp.name in self.term_frequencies and spec.tf is not None:
                push[0] = 0.0
            out += with_missing(push)[lv]
        return out

    def logits(self, levels: np.ndarray, cols: Columns, left: Any) -> np.ndarray:
        contrib = self.contributions(levels, cols, left)
        return self.prior + contrib.sum(axis=1)

    def score(self, cols: Columns, left: Any, right: Any) -> np.ndarray:
        """Log-odds of a match for the pairs (left[i], right[i]) of records in `cols`."""
        return self.logits(self.levels(cols, left, right), cols, left)

    def explain(self, levels_row: np.ndarray, contributions_row: np.ndarray) -> dict[str, Any]:
        """One pair's explanation: the prior and each compared field's level and push on the
        log-odds. prior + the pushes == the pair's logit."""
        return self.explanations(
            np.asarray(levels_row)[None, :], np.asarray(contributions_row)[None, :]
        )[0]

    def explanations(self, levels: np.ndarray, contributions: np.ndarray) -> list[dict[str, Any]]:
        """`explain` for many pairs (rows): their texts (`explanation_texts`) read back."""
        return [json.loads(t) for t in self.explanation_texts(levels, contributions)]

    def pair_explanations(
        self, levels: np.ndarray, cols: Columns, left: Any, right: Any
    ) -> list[str]:
        """`explanation_texts` of scored pairs: their contributions, and the fields compared
        as missing for a value too common, worked out from the records."""
        compared = [c.field for c in self.specs()]
        return self.explanation_texts(
            levels,
            self.contributions(levels, cols, left),
            too_common_pairs(cols, compared, left, right),
        )

    def explanation_texts(
        self,
        levels: np.ndarray,
        contributions: np.ndarray,
        too_common: np.ndarray | None = None,
    ) -> list[str]:
        """Each pair's explanation as the JSON text a MATCHES edge holds:
        {"prior": p, "fields": [{"field", "label", "level", "weight"}, ...]} with a field for
        each comparison both records have, and for one compared as missing because a value
        was too common to be evidence (`too_common`, from `common.too_common_pairs`: its level
        TOO_COMMON_LEVEL, its weight 0.0); the numbers as Python writes a float, which reads
        back as the same float. A field's text is made once per level and weight it takes
        (a field takes a few: 3-101 on 320,000 pairs of Splink's historical persons), and the
        pairs' texts are joined a field at a time over all pairs at once (a million pairs'
        dicts, then dumped, took 14 s of a first resolve; a text per field of each pair
        1.3 s for those 320,000)."""
        levels = np.asarray(levels)
        if len(levels) == 0:
            return []
        contributions = np.asarray(contributions, dtype=np.float64)
        joined = np.full(len(levels), "", dtype=object)  # ",{field},{field}..." per pair
        for j, (comp, spec) in enumerate(zip(self.comparisons, self.specs(), strict=True)):
            start = (
                ',{"field":'
                + json.dumps(comp.name)
                + ',"label":'
                + json.dumps(spec.label)
                + ',"level":'
            )
            # By bit pattern, so that -0.0 keeps its own text, as float's repr gives it.
            bits = np.ascontiguousarray(contributions[:, j]).view(np.int64)
            weight_bits, weight_code = np.unique(bits, return_inverse=True)
            weights = weight_bits.view(np.float64)
            # One code per (level, weight); a missing field's level (NULL) codes below 0, one
            # compared as missing for a too common value past the comparison's levels.
            lv = levels[:, j].astype(np.int64)
            if too_common is not None:
                lv = np.where(too_common[:, j] & (lv == NULL), len(spec.levels), lv)
            taken, code = np.unique(
                lv * len(weights) + weight_code.reshape(-1), return_inverse=True
            )
            texts = np.array(
                [
                    ""
                    if k // len(weights) == NULL
                    else start
                    + json.dumps((*spec.levels, TOO_COMMON_LEVEL)[k // len(weights)])
                    + ',"weight":'
                    + _number(weights[k % len(weights)])
                    + "}"
                    for k in taken.tolist()
                ],
                dtype=object,
            )
            joined += texts[code.reshape(-1)]
        head = '{"prior":' + _number(self.prior) + ',"fields":['
        return [head + fields[1:] + "]}" for fields in joined.tolist()]

    # -- files ---------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "format": FORMAT,
            "version": self.version,
            "mode": self.mode,
            "trainedAt": self.trained_at,
            "labels": self.labels,
            "linkOnly": self.link_only,
            "prior": self.prior,
            "comparisons": [c.__dict__ for c in self.comparisons],
            "rules": [rule_name(r) for r in self.rules],
            "termFrequencies": {
                k: {
                    "total": t.total,
                    "uExact": t.u_exact,
                    "boost": t.boost,
                    "typical": t.typical,
                    "own": t.own,
                    "counts": t.counts,
                }
                for k, t in self.term_frequencies.items()
            },
            "report": self.report,
            "household": self.household,
            "familyFirstNames": self.family_first_names,
            "commonValues": {k: sorted(v) for k, v in sorted(self.common.items())},
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        try:
            body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"no match model at {path}: run `idgraph train` first") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read match model {path}: {exc}") from exc
        if body.get("format") != FORMAT:
            raise ConfigError(
                f"{path} is a {body.get('format')!r} model; this version reads {FORMAT!r}. "
                "Retrain with `idgraph train`."
            )
        try:
            model = cls(
                comparisons=[ComparisonWeights(**c) for c in body["comparisons"]],
                prior=float(body["prior"]),
                rules=[parse_rule(r) for r in body["rules"]],
                term_frequencies={
                    k: TermFrequencies(
                        int(t["total"]),
                        dict(t["counts"]),
                        float(t["uExact"]),
                        bool(t["boost"]),
                        float(t["typical"]),
                        float(t.get("own", 0.0)),
                    )
                    for k, t in body.get("termFrequencies", {}).items()
                },
                mode=str(body.get("mode", "unsupervised")),
                trained_at=str(body.get("trainedAt", "")),
                labels=dict(body.get("labels", {})),
                link_only=list(body.get("linkOnly", [])),
                report=dict(body.get("report", {})),
                household={
                    str(k): [float(x) for x in v] for k, v in body.get("household", {}).items()
                },
                family_first_names=[
                    str(x) for x in body.get("familyFirstNames", FIRST_FAMILY_BEFORE)
                ],
                common={
                    str(k): frozenset(str(x) for x in v)
                    for k, v in body.get("commonValues", {}).items()
                },
            )
            model.specs()
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path} is not a usable match model ({exc}); retrain") from exc
        if body.get("version") not in (None, model.version):
            raise ConfigError(f"{path} was changed after training (version mismatch); retrain")
        split_levels(model)
        for comp, spec in zip(model.comparisons, model.specs(), strict=True):
            if len(comp.weights) != len(spec.levels):
                raise ConfigError(
                    f"{path}: {comp.name} has {len(comp.weights)} weights for "
                    f"{len(spec.levels)} levels; retrain with `idgraph train`"
                )
            extra = model.household.get(comp.name)
            if extra is not None and len(extra) != len(spec.levels):
                raise ConfigError(
                    f"{path}: {comp.name} has {len(extra)} household weights for "
                    f"{len(spec.levels)} levels; retrain with `idgraph train`"
                )
        if set(model.household) - {c.name for c in model.comparisons}:
            raise ConfigError(f"{path}: household weights of a field it does not compare; retrain")
        return model


def split_levels(model: MatchModel) -> None:
    """A model saved before a level was split (SPLIT_LEVELS) gets the level's weights for
    both halves, so it scores every pair as it did; its m and u stay with the half that
    keeps the level's name, and the new half's are 0 (it never measured it). Its version
    changes with its form."""
    for comp in model.comparisons:
        for at, before, new in SPLIT_LEVELS.get(comp.name, ()):
            if len(comp.weights) != before:
                continue
            for weights in (comp.weights, model.household.get(comp.name)):
                if weights is not None:
                    weights.insert(at + 1, weights[at])
            comp.m.insert(new, 0.0)
            comp.u.insert(new, 0.0)
            if comp.name == "firstName" and "different" in model.family_first_names:
                model.family_first_names.append(FIRST_NAME_SPLIT)


def families(
    names: Sequence[str], levels: np.ndarray, first_names: Sequence[str] = FAMILY_FIRST_NAMES
) -> np.ndarray:
    """Per pair (rows of `levels`, one column per comparison in `names`): whether its
    surnames agree and its first names compare at one of the levels `first_names`, as two
    members of one family's would. All false without both names."""
    if "firstName" not in names or "lastName" not in names:
        return np.zeros(len(levels), dtype=bool)
    first, last = names.index("firstName"), names.index("lastName")
    labels = by_names(["firstName"], {})[0].levels
    wanted = [labels.index(x) for x in first_names]
    return np.isin(levels[:, first], wanted) & (levels[:, last] == 0)


def logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def probability(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -700, 700)))


def weights_table(model: MatchModel) -> list[tuple[str, str, float]]:
    """(comparison, level, weight) rows, for reports."""
    return [
        (spec.label, level, w)
        for comp, spec in zip(model.comparisons, model.specs(), strict=True)
        for level, w in zip(spec.levels, comp.weights, strict=True)
    ]


_saved: dict[Path, tuple[float, MatchModel]] = {}
_saved_lock = threading.Lock()


def saved_model(path: Path) -> MatchModel:
    """The model saved at `path`, read once and again only when the file changes (a
    retrained model is picked up without a restart). ConfigError when there is none or it
    does not fit."""
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        stamp = -1.0
    with _saved_lock:
        cached = _saved.get(path)
        if cached is None or cached[0] != stamp:
            _saved[path] = (stamp, MatchModel.load(path))
        return _saved[path][1]


def _number(x: float) -> str:
    """A float as JSON: its shortest text that reads back the same; null where JSON has no
    number for it (as json.dumps would not write, and orjson writes)."""
    return repr(float(x)) if math.isfinite(x) else "null"
