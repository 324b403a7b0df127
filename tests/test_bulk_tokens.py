"""GRAPH.BULK's binary tokens (app/store/falkordb_wire.py, bulk_tokens): encoded a slice's
columns at a time, they are exactly what the plain reading of the format gives, entity by
entity, whatever the slice and the token limit (a header over the limit included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.store import falkordb_wire
from app.store.falkordb_wire import bulk_tokens

VALUES = st.one_of(
    st.none(),
    st.text(max_size=6).filter(lambda t: "\x00" not in t),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(-5, 5), max_size=3),
)
ROWS = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "name", "z"]), VALUES, max_size=4), max_size=30
)


def one_at_a_time(
    name: str, props: list[dict[str, Any]], ends: np.ndarray | None, limit: int
) -> Iterator[tuple[bytes, int]]:
    """The plain reading of the format: each entity's bytes, added to the token until the
    next would take it past `limit` (a token holds at least one entity)."""
    names = sorted({k for p in props for k in p})
    header = name.encode() + b"\x00" + len(names).to_bytes(4, "little")
    header += b"".join(n.encode() + b"\x00" for n in names)
    token, count = header, 0
    for i, p in enumerate(props):
        body = b"" if ends is None else ends[i].astype("<u8").tobytes()
        body += b"".join(falkordb_wire._bulk_column([p.get(n)])[0] for n in names)
        if len(token) + len(body) > limit and count:
            yield token, count
            token, count = header, 0
        token += body
        count += 1
    if count:
        yield token, count


@settings(max_examples=200, deadline=None)
@given(
    props=ROWS,
    with_ends=st.booleans(),
    limit=st.integers(20, 400),
    slice_size=st.integers(1, 8),
)
def test_tokens_are_what_one_entity_at_a_time_gives(
    props: list[dict[str, Any]], with_ends: bool, limit: int, slice_size: int
) -> None:
    ends = np.arange(2 * len(props), dtype=np.int64).reshape(-1, 2) if with_ends else None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(falkordb_wire, "BULK_TOKEN_BYTES", limit)
        patch.setattr(falkordb_wire, "BULK_SLICE", slice_size)
        got = list(bulk_tokens("Customer", props, ends))
    assert got == list(one_at_a_time("Customer", props, ends, limit))
