"""Values too common to be evidence: found in the training records, kept in the model, and
taken as missing wherever records are derived with it (app/resolution/fields.py). Split
from fields.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from app.resolution.columns import IDENTIFIER_PREFIX, Column, Columns, identifier_halves

# Values too common to be evidence: a placeholder written where the value was unknown
# (1900-01-01, 0000000, none@example.com) or a value many people are given (1 January of
# a year, where a source writes a few births known by the year so; where it writes many
# years' so, those dates are evidence: `years_alone`). Found in the training records and
# kept in the model, so batch, real time and every later run read the same values: a
# value more records hold than a factor (Settings.common_value_factor) times the 99th
# percentile of its column's counts, and more than COMMON_MINIMUM. For matching such a
# value is no value (a record that holds it neither agrees nor disagrees by it), as a
# placeholder name is (PLACEHOLDER_NAMES); the record keeps what it says.
# docs/resolution.md has what this changed on outside data.
COMMON_MINIMUM = 10
# 1 January of this many years too common: the source writes a birth known by its year so
# (`years_alone`), and those dates are evidence.
YEAR_PRECISION_YEARS = 5
# column checked -> the columns derived from it that go with it
COMMON_WITH: dict[str, tuple[str, ...]] = {
    "dob": ("dob_year", "dob_swapped", "dob_md"),
    "email": ("email_local", "email_named"),
    "phone": ("phone_kind",),
}
Common = Mapping[str, Any]  # column -> its values too common (a collection of texts)
# Per record, the checked columns whose value was too common (a frozenset), None if none: so
# that an explanation can say why a field both records hold was not compared.
TOO_COMMON = "too_common"


def common_source(column: str) -> str:
    """The checked column that `column` is, or is derived from (COMMON_WITH)."""
    return next((name for name, deps in COMMON_WITH.items() if column in deps), column)


def goes_with(name: str) -> tuple[str, ...]:
    """The checked column `name` and the columns derived from it: COMMON_WITH's, or an
    identifier's halves (blocking's key parts)."""
    if name.startswith(IDENTIFIER_PREFIX):
        return (name, *identifier_halves(name))
    return (name, *COMMON_WITH.get(name, ()))


def too_common(values: Column, factor: float) -> dict[str, int]:
    """The values of a column held by more records than `factor` times the 99th percentile
    of its values' counts and than COMMON_MINIMUM, with how many records hold each; none
    for a factor of 0."""
    counts = pd.Series(values, dtype=object).dropna().value_counts()
    if counts.empty or factor <= 0:
        return {}
    limit = max(COMMON_MINIMUM, factor * float(np.quantile(counts.to_numpy(), 0.99)))
    return {str(v): int(n) for v, n in sorted(counts[counts > limit].items())}


def common_values(cols: Columns, factor: float) -> dict[str, dict[str, int]]:
    """Every checked column's values too common (`too_common` at `factor`), with how many
    records hold each: dates of birth, e-mails, phones, declared identifiers. Births known
    by the year alone are not (`years_alone`)."""
    found = {name: too_common(cols[name], factor) for name in _checked(cols) if name in cols}
    if "dob" in found:
        kept = years_alone(found["dob"], factor)
        found["dob"] = {v: n for v, n in found["dob"].items() if v not in kept}
    return {name: held for name, held in found.items() if held}


def years_alone(dates: Mapping[str, int], factor: float) -> set[str]:
    """Among dates of birth too common to be evidence (YYYYMMDD, with how many records
    hold each), those that are a birth known by its year: 1 January, where at least
    YEAR_PRECISION_YEARS years' 1 January are too common, and held by no more than `factor`
    times the median of those. A source that knows a birth by its year writes 1 January
    of it (Wikidata's persons in Splink's historical set: 17 years' 1 January held by
    6,500 of 50,578 records), and the year is evidence; a placeholder is one date or a few
    (1900-01-01, 1970-01-01), or one far commoner than the years' among them."""
    firsts = {d: n for d, n in dates.items() if len(d) == 8 and d.endswith("0101")}
    if len(firsts) < YEAR_PRECISION_YEARS:
        return set()
    typical = float(np.median(list(firsts.values())))
    return {d for d, n in firsts.items() if n <= factor * typical}


def _checked(cols: Mapping[str, Any]) -> list[str]:
    """The columns whose values may be too common to be evidence."""
    return ["dob", "email", "phone", *sorted(n for n in cols if n.startswith(IDENTIFIER_PREFIX))]


def without_common(cols: Columns, common: Common) -> Columns:
    """`cols` with the values too common to be evidence taken as missing, and the columns
    derived from them (COMMON_WITH). Codes are kept (a missing value's is -1), not
    recomputed."""
    masks = {
        name: pd.Series(cols[name], dtype=object).isin(list(common[name])).to_numpy()
        for name in _checked(cols)
        if name in common and name in cols
    }
    masks = {name: mask for name, mask in masks.items() if mask.any()}
    if not masks:
        return cols
    values, codes = dict(cols), dict(cols.codes)
    for name, mask in masks.items():
        for col in goes_with(name):
            if col not in values:
                continue
            values[col] = values[col].copy()
            values[col][mask] = None
            codes[col] = np.where(mask, -1, codes[col])
    flagged = np.full(len(next(iter(masks.values()))), None, dtype=object)
    for i in np.flatnonzero(np.logical_or.reduce(list(masks.values()))).tolist():
        flagged[i] = frozenset(name for name, mask in masks.items() if mask[i])
    values[TOO_COMMON] = flagged
    return Columns(values, codes)


def without_common1(derived: dict[str, Any], common: Common) -> dict[str, Any]:
    """`without_common` for one record's derivations (`derive1`)."""
    out = dict(derived)
    flagged = [
        name
        for name in _checked(derived)
        if name in common and out.get(name) is not None and out[name] in common[name]
    ]
    for name in flagged:
        for col in goes_with(name):
            out[col] = None
    if flagged:
        out[TOO_COMMON] = frozenset(flagged)
    return out


def too_common_pairs(
    cols: Columns, compared: Sequence[str], left: Any, right: Any
) -> np.ndarray | None:
    """For each pair (rows) and compared field (columns; a comparison's first): whether it
    was compared as missing because a record's value was too common (None: none was)."""
    flags = cols.get(TOO_COMMON)
    if flags is None:
        return None
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    flagged = np.flatnonzero(cols.present(TOO_COMMON))  # few records: look at those only
    out = np.zeros((len(left), len(compared)), dtype=bool)
    for j, source in enumerate(map(common_source, compared)):
        held = np.zeros(len(flags), dtype=bool)
        held[flagged] = [source in flags[i] for i in flagged.tolist()]
        out[:, j] = held[left] | held[right]
    return out
