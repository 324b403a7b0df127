"""Batch stages pause the cyclic garbage collector (app/gcpause.py) and leave it as they
found it, also when they fail, so a server that runs one in a thread keeps collecting."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.gcpause import frozen_for_fork, gc_paused


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


# A process that still holds garbage of DuckDB's (as Splink leaves it) forks workers that
# collect. Run in a fresh interpreter: its garbage and its collector are its own.
_FORKED_WORKERS = """
import gc, sys, tempfile
from pathlib import Path
import duckdb
import numpy as np

class Holder:
    pass

def duckdb_garbage():
    h = Holder()
    h.self = h  # a cycle: only the collector frees it
    h.con = duckdb.connect()
    h.con.execute("select count(*) from range(100000)").fetchall()

gc.disable()
duckdb_garbage()
if sys.argv[1] == "scoring":
    from app.resolution.scoring import in_chunks
    pairs = np.arange(10)
    work = lambda cols, left, right: (gc.collect(), len(left))[1]
    print(sum(n for _, n in in_chunks(work, {}, pairs, pairs, workers=2, chunk=3)))
else:
    from app.ingestion.batch import load_directory
    from app.settings import Settings
    from app.store import open_store
    from app.synth import SynthConfig, generate
    from app.ingestion import ahead
    root = Path(tempfile.mkdtemp())
    generate(SynthConfig(people=60, seed=3), root / "people", "csv")
    settings = Settings(data_dir=root / "data", prepare_min_bytes=0, store_linger_s=0)
    prepare = ahead.spool_file

    def collecting_first(*args):  # a collection where the worker's allocations bring one
        gc.collect()
        return prepare(*args)

    ahead.spool_file = collecting_first
    with open_store(settings) as store:
        store.setup_schema()
        summaries = load_directory(store, root / "people", settings, show_progress=False, bulk=True)
        print(sum(s.rows_loaded for s in summaries) > 0)
"""


@pytest.mark.parametrize("path", ["scoring", "loading"])
def test_forked_workers_never_free_what_they_inherited(path: str, tmp_path: Path) -> None:
    """Scoring's workers and a bulk load's preparing workers are forked: objects the parent
    holds, garbage included, are frozen while they start (`frozen_for_fork`), so a worker's
    collections never free them. Freeing a DuckDB connection in a forked worker is a
    segmentation fault (the pool reported "terminated abruptly" before the freeze)."""
    run = subprocess.run(
        [sys.executable, "-c", _FORKED_WORKERS, path],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == (["10"] if path == "scoring" else ["True"])


def test_freezing_for_a_fork_leaves_what_was_frozen_before_frozen() -> None:
    """A bulk load keeps the graph it builds frozen until it ends; a pool started meanwhile
    does not unfreeze it."""
    gc.unfreeze()  # what the process froze before this test (pytest's plugins do)
    with frozen_for_fork():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    held = [object() for _ in range(10)]
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with frozen_for_fork():
            pass
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()
    assert held
