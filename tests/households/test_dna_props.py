"""Group DNA writes only the properties that change: writing them onto a household leaves it
as writing every property would (SET h += props, where a null removes the property)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.households.dna import differing
from tests.writes import after_set

KEYS = st.sampled_from(["dna_members", "dna_members_hv", "dna_members_slope", "services", "x"])
VALUES = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.floats(-2, 2, allow_nan=False),
    st.text(max_size=2),
    st.lists(st.integers(0, 2), max_size=3),
)
PROPS = st.dictionaries(KEYS, VALUES)


@settings(max_examples=300, deadline=None)
@given(PROPS.map(lambda d: {k: v for k, v in d.items() if v is not None}), PROPS)
def test_writing_the_differing_properties_is_writing_them_all(
    held: dict[str, Any], props: dict[str, Any]
) -> None:
    assert after_set(held, differing(props, held)) == after_set(held, props)


def test_a_first_computation_leaves_out_its_nulls_and_a_later_one_what_did_not_move() -> None:
    first = {"dna_members": 2, "dna_members_slope": None, "dnaComputedAt": "t1"}
    assert differing(first, {}) == {"dna_members": 2, "dnaComputedAt": "t1"}
    held = {"dna_members": 2, "dna_adults": 1, "dnaComputedAt": "t1"}
    later = {"dna_members": 2, "dna_adults": None, "dnaComputedAt": "t2"}
    assert differing(later, held) == {"dna_adults": None, "dnaComputedAt": "t2"}
