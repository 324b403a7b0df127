"""String similarity and nickname overlap are computed once per distinct pair of values
(names and dates repeat across candidate pairs), term frequencies looked up for a whole
column: the result must be the one computing every pair, every value, gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import DamerauLevenshtein

from app.resolution.comparisons import (
    NULL,
    email_levels,
    first_name_levels,
    last_name_levels,
)
from app.resolution.fields import derive, first_nicknames
from app.resolution.model import TermFrequencies
from app.resolution.similarity import jaro_winkler, one_edit_apart, share_nickname

NAMES = st.lists(
    st.sampled_from(["ann", "anne", "anna", "bob", "rob", "robert", "", "x", "ÿann"])
    | st.text(max_size=8),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(NAMES, st.data())
def test_distinct_pairs_score_as_every_pair(values: list[str], data: st.DataObject) -> None:
    column = np.array(values, dtype=object)
    codes, _ = pd.factorize(pd.Series(column, dtype=object))
    n = len(column)
    left = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=60)))
    right = np.array(
        data.draw(st.lists(st.integers(0, n - 1), min_size=len(left), max_size=len(left)))
    )
    a, b = column[left], column[right]
    pair_codes = (codes[left], codes[right])
    assert jaro_winkler(a, b, pair_codes).tolist() == jaro_winkler(a, b).tolist()
    assert one_edit_apart(a, b, pair_codes).tolist() == one_edit_apart(a, b).tolist()
    # rapidfuzz stops counting past one edit: the answer is the full distance's.
    full = [DamerauLevenshtein.distance(x, y) <= 1 for x, y in zip(a, b, strict=True)]
    assert one_edit_apart(a, b).tolist() == full


FIRST_NAMES = st.lists(
    st.sampled_from(["sam", "samantha", "samuel", "chris", "christine", "bob", "robert", "ann"]),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(FIRST_NAMES, st.data())
def test_nickname_overlap_once_per_distinct_pair_is_every_pairs(
    values: list[str], data: st.DataObject
) -> None:
    column = np.array(values, dtype=object)
    nicks = np.array([first_nicknames(v) for v in values] + [None], dtype=object)[:-1]
    codes, _ = pd.factorize(pd.Series(column, dtype=object))
    n = len(column)
    left = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=60)))
    right = np.array(
        data.draw(st.lists(st.integers(0, n - 1), min_size=len(left), max_size=len(left)))
    )
    each = [bool(nicks[i] & nicks[j]) for i, j in zip(left, right, strict=True)]
    assert share_nickname(nicks[left], nicks[right], codes[left], codes[right]).tolist() == each


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["smith", "jones", "fox", "1", "x y"]), st.integers(2, 50)),
    st.lists(st.sampled_from(["smith", "jones", "fox", "quattlebaum", "1", "x y"]), max_size=30),
    st.booleans(),
)
def test_term_frequency_of_a_column_is_each_values(
    counts: dict[str, int], values: list[str], boost: bool
) -> None:
    table = TermFrequencies(total=500, counts=counts, u_exact=0.01, boost=boost, typical=3.0)
    column = table.adjustment(np.array(values, dtype=object)).tolist()
    if boost:
        by_hand = [float(np.log(0.01 / (counts.get(v, 1) / 500))) for v in values]
    else:
        by_hand = [min(float(np.log(3.0 / counts.get(v, 1))), 0.0) for v in values]
    assert column == by_hand


def test_a_user_name_made_of_the_names_is_no_evidence_at_another_provider() -> None:
    """john.smith at two providers: two John Smiths often have it, so the e-mail gives no
    level; a user name that is not the names (tiger77) still agrees, and a typo in the
    whole address, or the same address, still counts."""
    rows = [
        ("John", "Smith", "john.smith@gmail.com"),
        ("John", "Smith", "john.smith@yahoo.com"),  # 1: named, other provider
        ("John", "Smith", "john.smith@gmial.com"),  # 2: one typo from 0
        ("Ann", "Lee", "tiger77@gmail.com"),
        ("Ann", "Lee", "tiger77@yahoo.com"),  # 4: not named, other provider
        ("Ann", "Lee", "tiger77@gmail.com"),  # 5: the same address as 3
        ("Ann", "Lee", "ann.lee@gmail.com"),
        ("Ann", "Leigh", "ann.lee@yahoo.com"),  # 7: made of her first name
    ]
    frame = pd.DataFrame(rows, columns=["firstName", "lastName", "email"])
    cols = derive(frame)
    left, right = np.array([0, 0, 3, 3, 6, 0]), np.array([1, 2, 4, 5, 7, 3])
    assert email_levels(cols, left, right).tolist() == [NULL, 1, 1, 0, NULL, 2]


def test_a_single_name_that_is_the_others_surname_is_compared_as_a_surname() -> None:
    """Splink's historical persons hold 12,700 true pairs like "landau" (first name only)
    against "moses landau": compared as first names they disagreed, and the model put the
    pair at 0.001. The single name is compared as the surname ("swapped", level 1) and the
    first name is taken as missing; a single name closer to the other's first name stays a
    first name; two full names are compared as before."""
    rows = [
        ("Landau", ""),  # 0
        ("Moses", "Landau"),  # 1
        ("Moses", ""),  # 2: closer to 1's first name than to its surname
        ("Landou", ""),  # 3: 0.88 or more like 1's surname
        ("", "Landau"),  # 4: no first name
        ("Landau", "Moses"),  # 5: two names, swapped with 1's
        ("Bryant", ""),  # 6: like no name of 1's
    ]
    frame = pd.DataFrame(rows, columns=["firstName", "lastName"])
    cols = derive(frame)
    left, right = np.array([0, 1, 2, 3, 0, 0, 6]), np.array([1, 0, 1, 1, 4, 5, 1])
    assert first_name_levels(cols, left, right).tolist() == [NULL, NULL, 0, NULL, NULL, 0, 5]
    assert last_name_levels(cols, left, right).tolist() == [1, 1, NULL, 1, 1, NULL, NULL]


def test_a_single_surname_that_is_the_others_first_name_is_compared_as_swapped() -> None:
    """Splink's fake_1000 writes some records' names the other way round ("Brown Florence")
    and leaves others with a surname alone ("Brown"): compared surname to surname the pair
    disagreed (-9.4 on one person's pair there), and a record of one person was left out of
    its profile. A surname alone that is the other record's first name more than its
    surname is compared as the surname swapped (level 1); one closer to the other's surname
    is compared as before."""
    rows = [
        ("", "Brown"),  # 0: a surname alone
        ("Brown", "Florence"),  # 1: the names the other way round
        ("", "Florence"),  # 2: closer to 1's surname than to its first name
        ("", "Browne"),  # 3: 0.88 or more like 1's first name
        ("Florence", "Brown"),  # 4: the right way round
        ("", "Bryant"),  # 5: like no name of 1's
    ]
    cols = derive(pd.DataFrame(rows, columns=["firstName", "lastName"]))
    left, right = np.array([0, 1, 2, 3, 0, 5]), np.array([1, 0, 1, 1, 4, 1])
    assert first_name_levels(cols, left, right).tolist() == [NULL] * 6
    assert last_name_levels(cols, left, right).tolist() == [1, 1, 0, 1, 0, 4]


PERSON_NAMES = st.sampled_from(["", "moses", "landau", "landou", "moss", "lan", "m"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(PERSON_NAMES, PERSON_NAMES), min_size=2, max_size=12), st.data())
def test_names_compare_the_same_either_way_round(
    rows: list[tuple[str, str]], data: st.DataObject
) -> None:
    """A pair's name levels do not depend on which record comes first, the shifted single
    name included (it is looked for on both sides)."""
    cols = derive(pd.DataFrame(rows, columns=["firstName", "lastName"]))
    n = len(rows)
    left = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=30)))
    right = np.array(
        data.draw(st.lists(st.integers(0, n - 1), min_size=len(left), max_size=len(left)))
    )
    for levels in (first_name_levels, last_name_levels):
        assert levels(cols, left, right).tolist() == levels(cols, right, left).tolist()


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    """A text and the text after up to two typos (added, dropped, changed, two neighbours
    swapped), so that pairs one edit apart, two apart and the same all come up."""
    text = draw(st.text(alphabet="abc+01", max_size=10))
    out = text
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["add", "drop", "change", "swap"]))
        if kind == "add":
            out = out[:i] + draw(st.sampled_from("abc+01")) + out[i:]
        elif kind == "drop" and i < len(out):
            out = out[:i] + out[i + 1 :]
        elif kind == "change" and i < len(out):
            out = out[:i] + draw(st.sampled_from("abc+01")) + out[i + 1 :]
        elif kind == "swap" and i + 1 < len(out):
            out = out[:i] + out[i + 1] + out[i] + out[i + 2 :]
    return text, out


@settings(max_examples=500, deadline=None)
@given(st.lists(edited(), min_size=1, max_size=30))
def test_one_typo_apart_is_a_damerau_levenshtein_distance_of_at_most_one(
    pairs: list[tuple[str, str]],
) -> None:
    a = np.array([p[0] for p in pairs], dtype=object)
    b = np.array([p[1] for p in pairs], dtype=object)
    full = [DamerauLevenshtein.distance(x, y) <= 1 for x, y in pairs]
    assert one_edit_apart(a, b).tolist() == full
    assert one_edit_apart(b, a).tolist() == full
