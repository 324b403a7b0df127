"""How two records are compared: one comparison per kind of evidence, each giving a pair a
level from "agrees exactly" down to "different" (or none when either side lacks the field).

The levels are computed over arrays of pairs, so batch scoring and real time (a record and
its few candidates) run the same code. String similarity is Jaro-Winkler and Damerau-
Levenshtein from rapidfuzz (C, vectorised: app/resolution/similarity.py); sounds are double
metaphone; nicknames come from the `nicknames` package (app/resolution/fields.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.resolution.columns import ATTRIBUTE_PREFIX, IDENTIFIER_PREFIX, Columns, declared
from app.resolution.similarity import jaro_winkler, one_edit_apart, share_nickname

NULL = -1  # level of a pair where either record lacks the field: no evidence either way
Levels = np.ndarray  # int8, one per pair


class _Pairs:
    """The pairs of a comparison where both records have its field: positions, and helpers
    reading codes (equality) and values (similarity) of any derived column for them."""

    def __init__(self, cols: Columns, field: str, left: np.ndarray, right: np.ndarray) -> None:
        self.cols = cols
        both = (cols.codes[field][left] >= 0) & (cols.codes[field][right] >= 0)
        self.idx = np.flatnonzero(both)
        self.left, self.right = left[self.idx], right[self.idx]

    def __len__(self) -> int:
        return len(self.idx)

    def same(self, name: str, other: str | None = None) -> np.ndarray:
        a = self.cols.codes[name][self.left]
        b = self.cols.codes[other or name][self.right]
        return (a >= 0) & (a == b)

    def has(self, name: str) -> np.ndarray:
        return (self.cols.codes[name][self.left] >= 0) & (self.cols.codes[name][self.right] >= 0)

    def values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.cols[name][self.left], self.cols[name][self.right]

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.cols.codes[name][self.left], self.cols.codes[name][self.right]

    def result(self, n: int, levels: np.ndarray) -> Levels:
        out = np.full(n, NULL, dtype=np.int8)
        out[self.idx] = levels
        return out


def _name_levels(
    cols: Columns, left: np.ndarray, right: np.ndarray, own: str, other: str
) -> Levels:
    """same / nickname, sounds alike or swapped with the other name part / similar (or, for
    first names, one side an initial of the other) / somewhat similar / (first names) an
    initial, another letter (one side an initial, not the other's: in the noisy town such a
    pair was no evidence either way, +0.06, where two names that differ weighed -2.7) /
    different."""
    pairs = _Pairs(cols, own, left, right)
    worst = 5 if own == "first" else 4  # "different"
    lv = np.full(len(pairs), worst, dtype=np.int8)
    if not len(pairs):
        return pairs.result(len(left), lv)
    a, b = pairs.values(own)
    jw = jaro_winkler(a, b, pairs.codes(own))
    lv[jw >= 0.8] = 3
    lv[jw >= 0.92] = 2
    lv[pairs.same(f"{own}_sound") & (lv > 1)] = 1
    if own == "first":
        initial = (cols["first_is_initial"][pairs.left] == True) | (  # noqa: E712
            cols["first_is_initial"][pairs.right] == True  # noqa: E712
        )
        lv[initial & pairs.same("first_init") & (lv > 2)] = 2
        other_letter = initial & ~pairs.same("first_init") & (lv == worst)
        check = np.flatnonzero(lv > 1)
        nick = share_nickname(
            cols["first_nick"][pairs.left[check]],
            cols["first_nick"][pairs.right[check]],
            cols.codes["first"][pairs.left[check]],
            cols.codes["first"][pairs.right[check]],
        )
        lv[check[nick]] = 1
        lv[other_letter & (lv == worst)] = 4
    maybe = np.flatnonzero(pairs.has(other) & (lv > 1))
    if len(maybe):
        oa, ob = pairs.values(other)
        ka, kb = pairs.codes(own)  # first and last names share their codes (fields.py)
        oka, okb = pairs.codes(other)
        crossed = (jaro_winkler(a[maybe], ob[maybe], (ka[maybe], okb[maybe])) >= 0.88) & (
            jaro_winkler(b[maybe], oa[maybe], (kb[maybe], oka[maybe])) >= 0.88
        )
        lv[maybe[crossed]] = 1
    lv[pairs.same(own)] = 0
    return pairs.result(len(left), lv)


def shifted_names(cols: Columns, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The pairs where one record has a single name and it is the other record's name in
    the other field more than in its own (jaro-winkler >= 0.88 and above the same field's):
    a surname entered as the first name, or a person known by one name ("landau" against
    "moses landau"); or a single surname that the other record holds as its first name
    ("brown" against "brown florence", names written the other way round). Its name is
    compared as a surname (`lastName`: "swapped") and the first name is taken as missing."""
    out = np.zeros(len(left), dtype=bool)
    for own, cross in (("first", "last"), ("last", "first")):
        mine, theirs = cols.codes[own], cols.codes[cross]
        for one, other in ((left, right), (right, left)):
            at = np.flatnonzero((theirs[one] < 0) & (mine[one] >= 0) & (theirs[other] >= 0))
            if not len(at):
                continue
            a, b = one[at], other[at]
            name = cols[own][a]
            crossed = jaro_winkler(name, cols[cross][b], (mine[a], theirs[b]))
            straight = np.zeros(len(at))
            has = np.flatnonzero(mine[b] >= 0)
            if len(has):
                straight[has] = jaro_winkler(
                    name[has], cols[own][b[has]], (mine[a[has]], mine[b[has]])
                )
            out[at[(crossed >= 0.88) & (crossed > straight)]] = True
    return out


def first_name_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    out = _name_levels(cols, left, right, "first", "last")
    out[shifted_names(cols, left, right)] = NULL
    return out


def last_name_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    out = _name_levels(cols, left, right, "last", "first")
    out[shifted_names(cols, left, right)] = 1
    return out


def middle_name_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    """same / same initial (a middle initial against the full name, or two names that
    share their initial) / different."""
    pairs = _Pairs(cols, "middle", left, right)
    lv = np.full(len(pairs), 2, dtype=np.int8)
    lv[pairs.same("middle_init")] = 1
    lv[pairs.same("middle")] = 0
    return pairs.result(len(left), lv)


def date_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    """same / one typo or day and month swapped / same year / different."""
    pairs = _Pairs(cols, "dob", left, right)
    lv = np.full(len(pairs), 3, dtype=np.int8)
    lv[pairs.same("dob_year")] = 2
    rest = np.flatnonzero(lv > 1)
    a, b = pairs.values("dob")
    close = np.zeros(len(pairs), dtype=bool)
    ka, kb = pairs.codes("dob")
    close[rest] = one_edit_apart(a[rest], b[rest], (ka[rest], kb[rest]))
    lv[close | pairs.same("dob_swapped", "dob")] = 1
    lv[pairs.same("dob")] = 0
    return pairs.result(len(left), lv)


def _exact_levels(
    cols: Columns, name: str, left: np.ndarray, right: np.ndarray, typo: bool
) -> tuple[_Pairs, np.ndarray]:
    pairs = _Pairs(cols, name, left, right)
    lv = np.full(len(pairs), 2 if typo else 1, dtype=np.int8)
    same = pairs.same(name)
    if typo:
        rest = np.flatnonzero(~same)
        a, b = pairs.values(name)
        ka, kb = pairs.codes(name)
        lv[rest[one_edit_apart(a[rest], b[rest], (ka[rest], kb[rest]))]] = 1
    lv[same] = 0
    return pairs, lv


def gender_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    pairs, lv = _exact_levels(cols, "gender", left, right, typo=False)
    return pairs.result(len(left), lv)


def email_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    """same / same user name or one typo / different. A user name made of the record's
    names (fields.named_user) that agrees at another provider is no evidence (no level):
    different people who share their names share it too, so beyond the names it says
    nothing either way."""
    pairs, lv = _exact_levels(cols, "email", left, right, typo=True)
    user = (lv > 1) & pairs.same("email_local")
    named = (cols["email_named"][pairs.left] == True) | (  # noqa: E712
        cols["email_named"][pairs.right] == True  # noqa: E712
    )
    lv[user & ~named] = 1
    lv[user & named] = NULL
    return pairs.result(len(left), lv)


def phone_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    """same mobile / same number (landline or of unknown kind) / one typo / different
    numbers, not both mobiles / two different mobiles."""
    pairs, lv = _exact_levels(cols, "phone", left, right, typo=True)
    lv = np.array([0, 2, 3], dtype=np.int8)[lv]
    mobile = cols["phone_kind"][pairs.left] == "mobile"
    lv[(lv == 0) & ~mobile] = 1
    lv[(lv == 3) & mobile & (cols["phone_kind"][pairs.right] == "mobile")] = 4
    return pairs.result(len(left), lv)


def address_levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
    """Street, postcode and city as one comparison (a shared address counted once, not three
    times). The place is the postcode when both records have one, else the city: same
    street and place / similar street, same place / same street elsewhere / same place, a
    street missing / same place, another street / same city / same postcode district (the
    postcodes differ in their last part only: `fields.postcode_district`) / similar city
    (Jaro-Winkler >= 0.88: a typo, "Swansea" and "Swwaesna") / different. None only when a
    side has no address part."""
    codes = cols.codes
    some = (codes["street"] >= 0) | (codes["postcode"] >= 0) | (codes["city"] >= 0)
    idx = np.flatnonzero(some[left] & some[right])
    li, ri = left[idx], right[idx]

    def same(name: str) -> np.ndarray:
        return (codes[name][li] >= 0) & (codes[name][li] == codes[name][ri])

    def both(name: str) -> np.ndarray:
        return (codes[name][li] >= 0) & (codes[name][ri] >= 0)

    lv = np.full(len(idx), 8, dtype=np.int8)
    same_city, same_st, both_st = same("city"), same("street"), both("street")
    same_place = np.where(both("postcode"), same("postcode"), same_city)
    district = same("postcode_district")
    # cities alike only where no better level decides: the pairs of another city alone
    towns = np.flatnonzero(both("city") & ~(same_city | same_place | same_st | district))
    ct, cr = li[towns], ri[towns]
    city_codes = (codes["city"][ct], codes["city"][cr])
    lv[towns[jaro_winkler(cols["city"][ct], cols["city"][cr], city_codes) >= 0.88]] = 7
    lv[district] = 6
    lv[same_city] = 5
    lv[same_place] = 4
    lv[same_place & ~both_st] = 3
    lv[same_st & ~same_place] = 2
    close = np.flatnonzero(both_st & same_place)
    similar = np.zeros(len(idx), dtype=bool)
    sl, sr = li[close], ri[close]
    street_codes = (codes["street"][sl], codes["street"][sr])
    similar[close] = jaro_winkler(cols["street"][sl], cols["street"][sr], street_codes) >= 0.88
    lv[similar] = 1
    lv[same_st & same_place] = 0
    out = np.full(len(left), NULL, dtype=np.int8)
    out[idx] = lv
    return out


def _identifier_levels(name: str, typo: bool) -> Callable[..., Levels]:
    def levels(cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
        pairs, lv = _exact_levels(cols, name, left, right, typo=typo)
        return pairs.result(len(left), lv)

    return levels


@dataclass(frozen=True)
class Comparison:
    """One kind of evidence. `levels` are labels from best to worst; `needs` the derived
    columns it reads (the first is its field for presence checks); `tf` the column whose
    value's frequency scales an exact agreement (a rare surname counts for more than
    "Smith"), or None."""

    name: str
    label: str
    levels: tuple[str, ...]
    needs: tuple[str, ...]
    compute: Callable[[Columns, np.ndarray, np.ndarray], Levels]
    tf: str | None = None
    compare: str | None = None  # declared identifiers and attributes: "exact" or "typo"

    def __call__(self, cols: Columns, left: np.ndarray, right: np.ndarray) -> Levels:
        return self.compute(cols, np.asarray(left), np.asarray(right))

    @property
    def field(self) -> str:
        return self.needs[0]


STANDARD: tuple[Comparison, ...] = (
    Comparison(
        "firstName",
        "first name",
        (
            "same",
            "nickname, sounds alike or swapped",
            "similar or an initial",
            "somewhat similar",
            "an initial, another letter",
            "different",
        ),
        ("first", "first_sound", "first_nick", "first_init", "first_is_initial", "last"),
        first_name_levels,
        tf="first",
    ),
    Comparison(
        "middleName",
        "middle name",
        ("same", "same initial", "different"),
        ("middle", "middle_init"),
        middle_name_levels,
    ),
    Comparison(
        "lastName",
        "surname",
        ("same", "sounds alike or swapped", "similar", "somewhat similar", "different"),
        ("last", "last_sound", "first"),
        last_name_levels,
        tf="last",
    ),
    Comparison(
        "dateOfBirth",
        "birth date",
        ("same", "one typo or day and month swapped", "same year", "different"),
        ("dob", "dob_year", "dob_swapped"),
        date_levels,
    ),
    Comparison("gender", "gender", ("same", "different"), ("gender",), gender_levels),
    Comparison(
        "email",
        "e-mail",
        ("same", "same user name or one typo", "different"),
        ("email", "email_local", "email_named"),
        email_levels,
        tf="email",
    ),
    Comparison(
        "phone",
        "phone",
        (
            "same mobile",
            "same number",
            "one typo",
            "different, not both mobiles",
            "two different mobiles",
        ),
        ("phone", "phone_kind"),
        phone_levels,
        tf="phone",
    ),
    Comparison(
        "address",
        "address",
        (
            "same street and place",
            "similar street, same place",
            "same street elsewhere",
            "same place, a street missing",
            "same place, another street",
            "same city",
            "same postcode district",
            "similar city",
            "different",
        ),
        ("street", "postcode", "city", "postcode_district"),
        address_levels,
        tf="street",
    ),
)


def declared_comparison(column: str, compare: str) -> Comparison:
    """A field a mapping declares, compared as it says (exact, or exact / one typo): an
    identifier (`id_nationalId`) or a compared attribute (`attr_occupation`: evidence many
    people share, an agreement on a rare value counting for more, unsupervised.py
    `term_frequencies`)."""
    typo = compare == "typo"
    levels = ("same", "one typo", "different") if typo else ("same", "different")
    label = column.split("_", 1)[1]
    return Comparison(
        column,
        label,
        levels,
        (column,),
        _identifier_levels(column, typo),
        tf=column,
        compare="typo" if typo else "exact",
    )


def available(
    cols: Columns,
    identifier_types: Mapping[str, str],
    attributes: Mapping[str, str] | None = None,
    minimum: int = 2,
) -> list[Comparison]:
    """The comparisons the data can feed: those whose field at least `minimum` records
    carry (address: any of its parts), plus each declared identifier and compared attribute
    (name -> compare) present."""

    def count(name: str) -> int:
        return int(cols.present(name).sum()) if name in cols else 0

    out = []
    for comp in STANDARD:
        present = (
            max(count(n) for n in ("street", "postcode", "city"))
            if comp.name == "address"
            else count(comp.field)
        )
        if present >= minimum:
            out.append(comp)
    for prefix, names in ((IDENTIFIER_PREFIX, identifier_types), (ATTRIBUTE_PREFIX, attributes)):
        for name, compare in sorted((names or {}).items()):
            if count(prefix + name) >= minimum:
                out.append(declared_comparison(prefix + name, compare))
    return out


def by_names(names: Sequence[str], compares: Mapping[str, str]) -> list[Comparison]:
    """Comparisons by name (a saved model's list); `compares`: how each declared one
    compares, by name (exact when not given)."""
    standard = {c.name: c for c in STANDARD}
    out = []
    for name in names:
        if name in standard:
            out.append(standard[name])
        elif declared(name):
            out.append(declared_comparison(name, compares.get(name, "exact")))
        else:
            raise KeyError(name)
    return out


def level_matrix(
    comparisons: Sequence[Comparison], cols: Columns, left: Any, right: Any
) -> np.ndarray:
    """Levels of every pair (rows) for every comparison (columns), int8, NULL for none."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    if not len(comparisons):
        return np.zeros((len(left), 0), dtype=np.int8)
    return np.column_stack([c(cols, left, right) for c in comparisons]).astype(np.int8)
