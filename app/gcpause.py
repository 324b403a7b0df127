"""Batch stages run with Python's cyclic garbage collector paused.

A batch stage builds hundreds of thousands of small objects (rows read from the store,
facts, groups, changes) that live until it ends. Each full collection rescans every live
object, so with the collector on a stage spends a large share of its time finding nothing
to free: households at 100k profiles took 33 s with it and 24 s without (the same with
thresholds that make full collections rare; docs/performance.md). Our code makes no
reference cycles on these paths; what cycles a library makes are collected when the stage
ends and the collector is on again. The collector state is process-wide, so a stage that
runs in a server thread pauses it for the others too, for as long as it runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; on again after, if it was on before. Also a
    decorator: `@gc_paused()`."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
