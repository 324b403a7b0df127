"""A profile's metric state (`dnaState`, app/metrics/storage.py State): what is dumped is
what is parsed back, in the compact form and in the older one."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from app.metrics.storage import State

NAMES = st.sampled_from(["spend90d", "email", "homeCity", "visits", "churnRisk"])
VALUES = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=4))


@given(
    values=st.dictionaries(NAMES, VALUES),
    versions=st.dictionaries(NAMES, st.sampled_from(["v1", "v2"])),
    history=st.sets(NAMES),
)
def test_a_state_reads_back_as_it_was_written(
    values: dict[str, object], versions: dict[str, str], history: set[str]
) -> None:
    state = State(values, versions, sorted(history))
    assert State.parse(state.dump()) == state


def test_the_history_is_a_flag_per_value_where_every_such_metric_has_a_value() -> None:
    state = State({"spend90d": 1.5, "email": None, "visits": 2}, {}, ["spend90d", "visits"])
    assert json.loads(state.dump())["h"] == "101"
    other = State({"spend90d": 1.5}, {}, ["gone", "spend90d"])  # a metric no longer run
    assert json.loads(other.dump())["h"] == ["gone", "spend90d"]


def test_a_state_written_before_the_flags_reads_as_it_did() -> None:
    text = '{"v":{"spend90d":1.5,"visits":2},"ver":{},"h":["spend90d"]}'
    assert State.parse(text) == State({"spend90d": 1.5, "visits": 2}, {}, ["spend90d"])
