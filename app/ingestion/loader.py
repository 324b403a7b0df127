"""Ingest one file: read in chunks, validate, quarantine, and upsert while the next chunk
is read."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from app.errors import InputError
from app.ingestion import reader
from app.ingestion.fields import REQUIRED, Kind
from app.ingestion.identifiers import identifier_types, register_identifier_types
from app.ingestion.mapping import KINDS, Mapping, builtin_mapping
from app.ingestion.rows import Prepared, prepare_customers, prepare_interactions
from app.privacy.suppression import SuppressionList, drop_suppressed
from app.settings import Settings
from app.store import GraphStore, WriteSummary


@dataclass
class IngestSummary:
    file: str
    source: str
    kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_suppressed: int = 0  # records and events of erased people, not loaded
    fields_blanked: int = 0
    seconds: float = 0.0
    nodes_created: int = 0
    relationships_created: int = 0
    quarantine_file: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}


class _Writer:
    """One background thread sends batches to the store while the caller prepares the next
    chunk: reading and validating use this process, the graph work the store's."""

    def __init__(self, store: GraphStore, batch_size: int) -> None:
        self._store, self._batch_size = store, batch_size
        self._jobs: queue.Queue[Prepared | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self.summary = WriteSummary()
        self.on_written: Callable[[int], None] = lambda n: None
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue  # drain after a failure; the caller raises it
            try:
                for name, rows in job.writes.items():
                    if rows:
                        self.summary.add(self._store.write_batches(name, rows, self._batch_size))
                self.on_written(job.loaded)
            except BaseException as exc:
                self._error = exc

    def put(self, job: Prepared) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put(job)

    def finish(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def resolve_mapping(
    path: Path, fmt: reader.Format, source: str, kind: Kind | None, mapping: Mapping | None
) -> Mapping:
    """The mapping to use: given, or the built-in one for the source (kind from the header)."""
    if mapping is not None:
        return mapping
    if kind is not None:
        return builtin_mapping(source, kind)
    header = set(reader.read_header(path, fmt))
    for k in reversed(KINDS):  # interactions first: its required columns are the more specific
        try:
            candidate = builtin_mapping(source, k)
        except Exception:
            continue
        needed = {c for c, f in candidate.columns.items() if f in REQUIRED[k]}
        if needed <= header:
            return candidate
    return builtin_mapping(source, "customers")


def ingest_file(
    store: GraphStore,
    path: Path,
    source: str,
    settings: Settings,
    *,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
    show_progress: bool = True,
) -> IngestSummary:
    """Load one file. Idempotent: loading it again, or after an interruption, ends in the
    same graph as one uninterrupted load."""
    started = time.perf_counter()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    fmt = reader.detect_format(path)
    mapping = resolve_mapping(path, fmt, source, kind, mapping)
    header = reader.read_header(path, fmt, mapping.encoding)
    missing = mapping.missing_columns(header)
    if missing:
        raise InputError(
            f"{path.name}: missing required column(s) {', '.join(missing)} "
            f"(mapping {mapping.origin}, source {mapping.source!r}); nothing was loaded"
        )
    # Every known type, so a reloaded record loses the id_<type> it no longer carries.
    known_types = (
        register_identifier_types(store, mapping)
        if mapping.identifiers
        else identifier_types(store)
        if mapping.kind == "customers"
        else {}
    )
    summary = IngestSummary(
        file=str(path),
        source=mapping.source,
        kind=mapping.kind,
        ignored_columns=[
            c
            for c in header
            if c not in mapping.columns
            and c not in mapping.attributes
            and c not in mapping.account_attributes
        ],
    )
    qpath = settings.quarantine_dir / f"{mapping.source}.{mapping.kind}.{path.stem}.jsonl"
    qpath.unlink(missing_ok=True)
    seen: dict[str, int] = {}
    erased = SuppressionList.read(store, settings)
    writer = _Writer(store, settings.batch_size)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not show_progress,
        transient=False,
    )
    qfile = None
    try:
        with progress:
            task = progress.add_task(
                f"{path.name} ({mapping.source} {mapping.kind})",
                total=reader.progress_total(path, fmt),
                rows=0,
            )
            for chunk in reader.read_chunks(path, fmt, settings.chunk_rows, mapping.encoding):
                prepared = _prepare(chunk, mapping, path.name, settings, seen, known_types)
                suppressed = drop_suppressed(prepared.writes, erased)
                prepared.loaded -= suppressed
                summary.rows_suppressed += suppressed
                summary.rows_read += len(chunk.rows) + len(chunk.bad)
                summary.rows_loaded += prepared.loaded
                lines = prepared.quarantined + prepared.blanked
                if lines:
                    if qfile is None:
                        qpath.parent.mkdir(parents=True, exist_ok=True)
                        qfile = qpath.open("w", encoding="utf-8")
                    for rec in sorted(lines, key=lambda r: r["row"]):
                        qfile.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
                    summary.rows_quarantined += len(prepared.quarantined)
                    summary.fields_blanked += len(prepared.blanked)
                writer.put(prepared)
                progress.update(task, completed=chunk.progress, rows=summary.rows_read)
            writer.finish()
    finally:
        if qfile is not None:
            qfile.close()
    summary.quarantine_file = str(qpath) if qfile is not None else None
    summary.nodes_created = writer.summary.nodes_created
    summary.relationships_created = writer.summary.relationships_created
    summary.seconds = time.perf_counter() - started
    return summary


def _prepare(
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
        )
    return prepare_interactions(
        chunk, mapping, file=file, max_len=settings.max_field_length, seen=seen
    )
