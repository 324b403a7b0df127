"""String similarity is computed once per distinct pair of values (names and dates repeat
across candidate pairs): the result must be the one computing every pair gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.comparisons import edit_distance, jaro_winkler

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
    assert edit_distance(a, b, pair_codes).tolist() == edit_distance(a, b).tolist()
