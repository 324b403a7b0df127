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


@contextmanager
def frozen_for_fork() -> Iterator[None]:
    """Around starting forked workers: every object the collector tracks is frozen
    (`gc.freeze`, O(1)) while they fork, so a worker's collections never free an object it
    inherited. A worker forked from a process that still held garbage of a library's
    (DuckDB's, left by an earlier Splink run in the same process) crashed with a
    segmentation fault in its first collection; the parent collects that garbage itself once
    the objects are unfrozen. Objects frozen before (a bulk load freezes the graph it holds)
    stay frozen, with these, for whoever froze them to unfreeze."""
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()
