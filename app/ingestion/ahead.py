"""Reading and preparing a file's rows (validation, normalisation, the rows each write query
takes), in the loader's own process or ahead of it in worker processes.

A bulk first load (app/ingestion/batch.py) spends most of its time preparing rows, one core's
work, while the store waits for the whole graph at the end. With `settings.prepare_workers`
> 0 it prepares its files in that many worker processes, in order, a file ahead of the one
the loader takes in: each worker writes its file's prepared chunks to a spool file as it goes
and the loader reads them back as they arrive. A file is prepared by one worker from its
first row to its last, so what depends on earlier rows of the file (a key used twice, the
`seen` map) is decided exactly as in one process; tests/ingestion/test_bulk.py checks the
graph and the quarantine files equal either way."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import BinaryIO

from app.errors import StoreError
from app.gcpause import frozen_for_fork
from app.ingestion import reader
from app.ingestion.mapping import Mapping
from app.ingestion.rows import Prepared, prepare_customers, prepare_interactions
from app.settings import Settings

_LENGTH = 8  # bytes of each spooled item's length; a length of 0 ends the spool
_POLL = 0.005  # seconds between looks at a spool the worker is still writing


@dataclass(frozen=True)
class FilePlan:
    """What the loader works out about a file before reading its rows."""

    path: Path
    fmt: reader.Format
    mapping: Mapping
    used: frozenset[str]  # the columns the mapping reads
    header: tuple[str, ...]
    identifier_types: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","  # a CSV file's


@dataclass(frozen=True)
class Read:
    """Of a chunk, what the loader needs once its rows are prepared."""

    rows: list[int]  # record numbers of the rows read
    bad: list[int]  # record numbers of the records that could not be split into fields
    progress: int  # bytes or records consumed so far


def prepare(
    chunk: reader.Chunk,
    mapping: Mapping,
    file: str,
    settings: Settings,
    seen: dict[str, int],
    identifier_types: dict[str, str],
) -> Prepared:
    if mapping.kind == "customers":
        return prepare_customers(
            chunk,
            mapping,
            file=file,
            max_len=settings.max_field_length,
            country=settings.default_country,
            seen=seen,
            identifier_types=identifier_types,
            earliest_year=settings.earliest_birth_year,
        )
    return prepare_interactions(
        chunk, mapping, file=file, max_len=settings.max_field_length, seen=seen
    )


def prepared_chunks(plan: FilePlan, settings: Settings) -> Iterator[tuple[Read, Prepared]]:
    """Every chunk of the file, read and prepared, in order (in this process)."""
    seen: dict[str, int] = {}
    chunks = reader.read_chunks(
        plan.path,
        plan.fmt,
        settings.chunk_rows,
        plan.mapping.encoding,
        columns=set(plan.used),
        delimiter=plan.delimiter,
    )
    for chunk in chunks:
        prepared = prepare(
            chunk, plan.mapping, plan.path.name, settings, seen, plan.identifier_types
        )
        yield Read(chunk.rows, [n for n, _, _ in chunk.bad], chunk.progress), prepared


def spool_file(plan: FilePlan, settings: Settings, spool: Path) -> int:
    """In a worker: prepare the file into `spool`, each chunk's (Read, Prepared) pickled
    after its length, then a length of 0. Returns the number of chunks."""
    n = 0
    with spool.open("wb") as out:
        for item in prepared_chunks(plan, settings):
            data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
            out.write(len(data).to_bytes(_LENGTH, "little"))
            out.write(data)
            out.flush()
            n += 1
        out.write((0).to_bytes(_LENGTH, "little"))
    return n


def worker_context() -> BaseContext:
    """How the workers start. Forked when the loader's process runs one thread, as the CLI's
    does when the pool starts: a forked worker is ready in milliseconds with the modules
    already imported, where a spawned one imports them again (~0.65 s of CPU each, which on
    two cores cost a 4.8 MB load more than preparing ahead saved). Spawned when other
    threads run: a fork copies no thread, so a lock one of them held would stay held in
    the worker. The worker only reads its file and writes its spool; the store's connection
    it inherits is never used, and it leaves by os._exit, closing nothing of the loader's."""
    return multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")


class Ahead:
    """Worker processes preparing the files of one load, in order, every file submitted at
    the start (a spool is on disk, not in memory). Use as a context manager; `chunks(i)`
    gives file i's prepared chunks as the worker writes them."""

    def __init__(self, plans: Sequence[FilePlan], settings: Settings, workers: int) -> None:
        self.plans = list(plans)
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="prepare-", dir=settings.data_dir))
        self.pool = ProcessPoolExecutor(workers, mp_context=worker_context())
        self.futures: dict[int, Future[int]] = {}

    def __enter__(self) -> Ahead:
        with frozen_for_fork():  # a fork-started pool forks every worker at the first submit
            for i, plan in enumerate(self.plans):
                self.futures[i] = self.pool.submit(spool_file, plan, self.settings, self._spool(i))
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _spool(self, i: int) -> Path:
        return self.dir / f"{i}.spool"

    def chunks(self, i: int) -> Iterator[tuple[Read, Prepared]]:
        future, path = self.futures[i], self._spool(i)
        try:
            yield from follow(path, future)
        finally:
            path.unlink(missing_ok=True)


def follow(path: Path, future: Future[int]) -> Iterator[tuple[Read, Prepared]]:
    """Read a spool while its worker writes it; the worker's error, if it fails."""
    while not path.exists():
        if future.done():
            future.result()  # raises the worker's error
            raise StoreError(f"{path.name}: the preparing worker wrote nothing")
        time.sleep(_POLL)
    with path.open("rb") as f:
        while True:
            head = _read_exactly(f, _LENGTH, future)
            size = int.from_bytes(head, "little")
            if size == 0:
                return
            yield pickle.loads(_read_exactly(f, size, future))


def _read_exactly(f: BinaryIO, size: int, future: Future[int]) -> bytes:
    """`size` bytes from the spool, waiting for the worker to write them."""
    parts: list[bytes] = []
    need = size
    while need:
        part = f.read(need)
        if part:
            parts.append(part)
            need -= len(part)
            continue
        if future.done():
            future.result()
            part = f.read(need)  # what it wrote before it finished
            if not part:
                raise StoreError("a preparing worker stopped before the end of its file")
            parts.append(part)
            need -= len(part)
            continue
        time.sleep(_POLL)
    return b"".join(parts)
