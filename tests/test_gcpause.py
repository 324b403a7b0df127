"""Batch stages pause the cyclic garbage collector (app/gcpause.py) and leave it as they
found it, also when they fail, so a server that runs one in a thread keeps collecting."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.gcpause import gc_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_on_again_after_even_on_error(collector_on: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner one leaves it paused
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    @gc_paused()
    def fails() -> None:
        assert not gc.isenabled()
        raise ValueError("stage failed")

    with pytest.raises(ValueError):
        fails()
    assert gc.isenabled()


def test_left_off_when_it_was_off(collector_on: None) -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()
