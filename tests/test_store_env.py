"""The embedded server's malloc arenas (Settings.falkordb_malloc_arenas): the server this
process starts runs with that many, and the variable is set only for it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from app.settings import Settings
from app.store import open_store
from app.store.falkordb import FalkorStore
from app.store.falkordb_process import ARENAS_VARIABLE, child_environment

HEAP = 64 << 20  # glibc's per-thread arenas live in heaps mapped at 64 MB boundaries


def _thread_heaps(pid: int) -> int:
    """glibc's arenas besides the main one (which grows the program break instead): each is
    a heap, 64 MB reserved at a 64 MB boundary, an anonymous read-write part from that
    boundary and the rest, if any, right after it with no access. (A thread's 8 MB stack can
    start at such a boundary too, its guard page before it: not a heap.)"""
    maps = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) == 5:  # anonymous
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            maps.append((lo, hi, fields[1]))
    ends = {lo: (hi, perms) for lo, hi, perms in maps}
    heaps = 0
    for lo, hi, perms in maps:
        if perms != "rw-p" or lo % HEAP:
            continue
        rest = ends.get(hi)
        end = rest[0] if rest is not None and rest[1] == "---p" else hi
        heaps += end - lo == HEAP
    return heaps


@pytest.mark.parametrize("arenas", [0, 1, 2])
def test_the_started_server_allocates_from_that_many_arenas(tmp_path: Path, arenas: int) -> None:
    settings = Settings(data_dir=tmp_path, falkordb_malloc_arenas=arenas)
    with open_store(settings) as store:
        store.setup_schema()
        store.run_text(
            "UNWIND range(1, 20000) AS i CREATE (:Probe {i: i, s: toString(i)})", write=True
        )
        for _ in range(3):  # reads run on the server's worker threads
            store.run_text("MATCH (n:Probe) RETURN count(n) AS n", write=False)
        assert isinstance(store, FalkorStore)
        heaps = _thread_heaps(store.server_pid)
    if arenas:
        assert heaps == arenas - 1
    else:  # the allocator's default: an arena per thread that allocated
        assert heaps > 1
    assert ARENAS_VARIABLE not in os.environ  # this process's environment is untouched


def _child_sees(name: str) -> str:
    out = subprocess.run(
        ["sh", "-c", f'printf "%s" "${{{name}-unset}}"'], capture_output=True, text=True
    )
    return out.stdout


def test_a_started_process_gets_the_values_and_this_one_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ARENAS_VARIABLE, raising=False)
    with child_environment({ARENAS_VARIABLE: "2"}):
        assert _child_sees(ARENAS_VARIABLE) == "2"
    assert ARENAS_VARIABLE not in os.environ
    monkeypatch.setenv(ARENAS_VARIABLE, "4")
    with child_environment({ARENAS_VARIABLE: "2"}):
        assert _child_sees(ARENAS_VARIABLE) == "2"
    assert os.environ[ARENAS_VARIABLE] == "4"


def test_the_environment_is_restored_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ARENAS_VARIABLE, raising=False)
    with pytest.raises(RuntimeError), child_environment({ARENAS_VARIABLE: "2"}):
        raise RuntimeError("the server did not start")
    assert ARENAS_VARIABLE not in os.environ
