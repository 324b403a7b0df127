"""Ingest one file: read in chunks, validate, quarantine, and upsert while the next chunk
is read."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from collections.abc import Mapping as KeyMap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich import get_console

from app.errors import BulkUnsupported, IdGraphError, IncompleteLoad, InputError, StoreConflict
from app.gcpause import gc_paused
from app.ingestion import advice, reader
from app.ingestion.addresses import refresh_addresses
from app.ingestion.ahead import FilePlan, Read, prepared_chunks
from app.ingestion.bulk import BulkGraph
from app.ingestion.fields import REQUIRED, Kind
from app.ingestion.fresh import key_read, split_writes, stored_fingerprints, unchanged, without
from app.ingestion.held import (
    HeldKeys,
    KeySpool,
    inputs_digest,
    keys_path,
    load_name,
    marks_unmoved,
)
from app.ingestion.identifiers import register_declared
from app.ingestion.journal import Journal
from app.ingestion.mapping import KINDS, Mapping, builtin_mapping
from app.ingestion.rows import (
    Prepared,
    Row,
    quarantine_line,
)
from app.privacy.suppression import SuppressionList, drop_suppressed
from app.progress import stage_progress
from app.settings import Settings
from app.store import GraphStore, WriteSummary, marks
from app.store.writer import BackgroundWriter


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
    # Columns the mapping reads that the file does not have -> what they would have fed
    absent_columns: dict[str, str] = field(default_factory=dict)
    # Blanked values by column, field and reason, with a few of them (app/ingestion/advice.py)
    blanked_columns: list[dict[str, Any]] = field(default_factory=list)
    # The load this one completed: how the last load of the same file stopped, if it did.
    completed: str | None = None
    # The graph held this file as its last load left it: nothing read row by row or written.
    unchanged: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": round(self.rows_per_second, 1)}


def write_chunk(
    store: GraphStore,
    job: Prepared,
    batch_size: int,
    trust_order: list[str],
    *,
    existing: KeyMap[str, str | None] | None = None,
    trust: bool = True,
) -> WriteSummary:
    """One prepared chunk into the graph, then the shared addresses it touched recomputed.
    Records and events the graph does not have yet go in with CREATE; those it holds with
    the same fingerprint are left as they are, unless `trust` is False (the last load of the
    file did not finish: a fingerprint may then be written without everything it stands
    for). `existing`: the chunk's keys the graph has, each with its stored fingerprint, when
    the caller has read them (None: read here)."""
    if existing is None:
        existing = existing_keys(store, job)
    same = unchanged(job.writes, existing) if trust else set()
    writes = without(job.writes, same) if same else job.writes
    addresses = {r["addressId"] for r in writes.get("link_addresses", [])}
    summary = WriteSummary()
    try:
        summary.add(_write(store, split_writes(writes, existing), batch_size, addresses))
    except StoreConflict:
        # Another writer created one of the keys read as new since the read: its CREATE
        # was refused whole, and the upserts write the chunk again (they are idempotent).
        summary.add(_write(store, writes, batch_size, addresses))
    refresh_addresses(store, addresses, trust_order, batch_size)
    return summary


def existing_keys(store: GraphStore, job: Prepared) -> dict[str, str | None]:
    """The chunk's record (or event) keys the graph has, with their stored fingerprints."""
    return stored_fingerprints(store, *key_read(job.writes))


def _write(
    store: GraphStore, writes: dict[str, list[Row]], batch_size: int, addresses: set[str]
) -> WriteSummary:
    """Send each query's rows in order; adds to `addresses` those a record was unlinked
    from."""
    summary = WriteSummary()
    for name, rows in writes.items():
        if not rows:
            continue
        if name == "unlink_stale_identifiers":  # returns the addresses left
            left, done = store.write_rows(name, rows, batch_size)
            addresses.update(r["addressId"] for r in left if r["addressId"])
            summary.add(done)
        else:
            summary.add(store.write_batches(name, rows, batch_size))
    return summary


def resolve_mapping(
    path: Path, fmt: reader.Format, source: str, kind: Kind | None, mapping: Mapping | None
) -> Mapping:
    """The mapping to use: given, or the built-in one for the source (kind from the header)."""
    if mapping is not None:
        return mapping
    if kind is not None:
        return builtin_mapping(source, kind)
    header = set(reader.read_header(path, fmt, delimiter=reader.delimiter_of(path, None)))
    for k in reversed(KINDS):  # interactions first: its required columns are the more specific
        try:
            candidate = builtin_mapping(source, k)
        except Exception:
            continue
        needed = {c for c, f in candidate.columns.items() if f in REQUIRED[k]}
        if needed <= header:
            return candidate
    return builtin_mapping(source, "customers")


def plan_file(
    store: GraphStore,
    path: Path,
    source: str,
    settings: Settings,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
) -> FilePlan:
    """What can be checked and worked out about a file before its rows are read: a file
    that fails here leaves the graph as it was."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    fmt = reader.detect_format(path)
    reader.check_text_file(path, fmt, mapping.encoding if mapping else "utf8")
    mapping = resolve_mapping(path, fmt, source, kind, mapping)
    delimiter = reader.delimiter_of(path, mapping.delimiter)
    header = reader.read_header(path, fmt, mapping.encoding, delimiter)
    reader.check_width(path, header, settings.max_columns)
    missing = mapping.missing_columns(header)
    if missing:
        other = (
            reader.header_delimiter(path, mapping.encoding, delimiter, missing)
            if fmt == "csv"
            else None
        )
        hint = advice.missing_hint(missing, header, other)
        raise InputError(
            f"{path.name}: missing required column(s) {', '.join(missing)} "
            f"(mapping {mapping.origin}, source {mapping.source!r}){hint}; nothing was loaded"
        )
    used = {*mapping.columns, *mapping.attributes, *mapping.account_attributes}
    check_before_writing(path, fmt, mapping, used, delimiter)
    # Every known type, so a reloaded record loses the id_<type> it no longer carries.
    known_types = register_declared(store, mapping) if mapping.kind == "customers" else {}
    return FilePlan(path, fmt, mapping, frozenset(used), tuple(header), known_types, delimiter)


@gc_paused()
@marks.written_by(marks.INGEST)
def ingest_file(
    store: GraphStore,
    path: Path,
    source: str,
    settings: Settings,
    *,
    mapping: Mapping | None = None,
    kind: Kind | None = None,
    show_progress: bool = True,
    bulk: BulkGraph | None = None,
    plan: FilePlan | None = None,
    prepared_ahead: Iterator[tuple[Read, Prepared]] | None = None,
) -> IngestSummary:
    """Load one file. Idempotent: loading it again, or after an interruption, ends in the
    same graph as one uninterrupted load. With `bulk`, the rows go into that graph in
    memory instead of the store (load_directory's bulk first load), and the file's journal
    is finished once that graph is in the store. `plan`: plan_file's, when the caller made
    it; `prepared_ahead`: the file's chunks as a worker prepared them (app/ingestion/ahead.py)."""
    started = time.perf_counter()
    plan = plan or plan_file(store, path, source, settings, mapping, kind)
    fmt, mapping, header, used = plan.fmt, plan.mapping, plan.header, set(plan.used)
    summary = IngestSummary(
        file=str(path),
        source=mapping.source,
        kind=mapping.kind,
        ignored_columns=[c for c in header if c not in used],
        absent_columns=advice.absent_columns(mapping, header),
    )
    name = load_name(mapping.source, mapping.kind, path)
    qpath = settings.quarantine_dir / f"{name}.jsonl"
    journal = Journal(settings.data_dir / "loads" / f"{name}.json", path)
    held_path = keys_path(settings, name)
    inputs = inputs_digest(path, mapping, settings, plan.identifier_types)
    if bulk is None and (repeat := held_before(journal, held_path, inputs, mapping, store)):
        repeat.seconds = time.perf_counter() - started
        return repeat
    summary.completed = journal.unfinished()
    # A load that stopped part way may have stored a record's fingerprint without all its
    # writes (a bulk load's nodes before their edges; an upsert before its edge queries; a
    # chunk before its addresses were refreshed): completing it trusts none.
    trust = summary.completed is None
    journal.start(bulk=bulk is not None)
    held_path.unlink(missing_ok=True)
    qpath.unlink(missing_ok=True)
    # A spool of its own: a load's spool is never one another load is writing.
    held = KeySpool(mapping.kind, held_path.with_name(f"{held_path.name}.{uuid.uuid4().hex}.part"))
    erased = SuppressionList.read(store, settings)
    # One background thread sends chunks to the store while this one prepares the next:
    # reading and validating use this process, the graph work the store's.
    writer = BackgroundWriter(store, settings.batch_size, depth=2)
    failed: list[tuple[int, int]] = []  # first and last row of the chunk that failed

    def chunk_job(
        prepared: Prepared, existing: dict[str, str | None] | None, first: int, last: int
    ) -> Callable[[], WriteSummary]:
        def job() -> WriteSummary:
            try:
                if bulk is not None:
                    return bulk.apply(prepared.writes, existing or {})
                done = write_chunk(
                    store,
                    prepared,
                    settings.batch_size,
                    settings.source_trust,
                    existing=existing,
                    trust=trust,
                )
            except BaseException:
                if bulk is None:  # a bulk round sent part way names no rows
                    failed.append((first, last))
                raise
            journal.written(last)
            return done

        return job

    progress = stage_progress(get_console(), show_progress)
    qfile = None
    blanked: dict[tuple[str, str, str], advice.Blanked] = {}
    try:
        with progress:
            task = progress.add_task(
                path.name,
                total=reader.progress_total(path, fmt),
                rows=0,
            )
            chunks = (
                prepared_ahead if prepared_ahead is not None else prepared_chunks(plan, settings)
            )
            for chunk, prepared in chunks:
                suppressed = drop_suppressed(prepared.writes, erased)
                prepared.loaded -= suppressed
                summary.rows_suppressed += suppressed
                # Events are read here (the one-performer rule quarantines rows before they
                # are counted) while the writer writes the chunk before: a file's keys are
                # distinct (seen), so that write cannot add any of this chunk's.
                if mapping.kind == "interactions":
                    ids = [r["interactionId"] for r in prepared.writes["upsert_interactions"]]
                    found = (
                        bulk.performers(ids)
                        if bulk is not None
                        else store.read("interactions_existing", ids=ids)
                        if ids
                        else []
                    )
                    existing = _refuse_other_performers(found, prepared, path.name)
                else:  # records: read by the writer, just before it writes the chunk
                    existing = None
                held.add(prepared.writes, existing or {})
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
                    advice.tally(blanked, prepared.blanked)
                numbers = chunk.rows + chunk.bad
                job = chunk_job(
                    prepared, existing, min(numbers, default=0), max(numbers, default=0)
                )
                if bulk is not None:
                    writer.summary.add(job())  # in this thread: it reads what it wrote
                else:
                    writer.call(job)
                progress.update(task, completed=chunk.progress, rows=summary.rows_read)
            writer.finish()
    except BulkUnsupported:
        raise  # sending the first round found records in the graph: nothing of it was written
    except IdGraphError as exc:
        rows = failed[0] if failed else None
        where = (
            f"at rows {rows[0]:,} to {rows[1]:,}" if rows else f"after row {journal.rows_written:,}"
        )
        reason = str(exc)
        journal.fail(rows[0] if rows else journal.rows_written + 1, reason)
        done = (
            f"rows before row {rows[0]:,} are in the graph"
            if rows and rows[0] > 1
            else "some of its rows may be in the graph"
        )
        raise IncompleteLoad(
            f"{path.name}: the load stopped {where}: {reason}. {done.capitalize()}; "
            "run the same load again to complete it (loads are idempotent)"
        ) from exc
    finally:
        if qfile is not None:
            qfile.close()
    summary.quarantine_file = str(qpath) if qfile is not None else None
    summary.blanked_columns = advice.as_rows(blanked)
    summary.nodes_created = writer.summary.nodes_created
    summary.relationships_created = writer.summary.relationships_created
    summary.seconds = time.perf_counter() - started
    kept = {k: v for k, v in summary.as_dict().items() if k in REPLAYED}

    def finish() -> None:
        held.save(held_path)
        journal.finish(summary.rows_read, inputs=inputs, summary=kept)

    if bulk is not None:
        bulk.on_stored.append(finish)
    else:
        finish()
    return summary


# What a load found unchanged reports of the load it repeats (it wrote nothing itself).
REPLAYED = (
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_suppressed",
    "fields_blanked",
    "quarantine_file",
    "ignored_columns",
    "absent_columns",
    "blanked_columns",
)


def held_before(
    journal: Journal, held_path: Path, inputs: str, mapping: Mapping, store: GraphStore
) -> IngestSummary | None:
    """The summary of a load of this file that the graph still holds as it left it (same
    inputs, every key with its fingerprint), or None: the file then loads row by row. A
    mapping with account attributes always loads: those are keyed by account, and another
    file may have set them since."""
    last = journal.read()
    if not last or last.get("status") != "done" or last.get("inputs") != inputs:
        return None
    if mapping.account_attributes or not isinstance(last.get("summary"), dict):
        return None
    keys = HeldKeys.read(held_path)
    if keys is None or not (marks_unmoved(held_path, store) or keys.still_held(store)):
        return None
    return IngestSummary(
        file=str(journal.file),
        source=mapping.source,
        kind=mapping.kind,
        unchanged=True,
        **{k: v for k, v in last["summary"].items() if k in REPLAYED},
    )


def check_before_writing(
    path: Path, fmt: reader.Format, mapping: Mapping, used: set[str], delimiter: str = ","
) -> None:
    """What can be known about a file before any of it is written: its columns' declared
    types (Parquet) and that every value decodes in the mapping's encoding. A file that fails
    leaves the graph as it was, and the message names the row and the column."""
    if fmt == "parquet":
        reader.check_parquet_types(path, used)
        where = reader.find_parquet_encoding_error(path, mapping.encoding, used)
    else:
        where = reader.find_encoding_error(path, fmt, mapping.encoding, delimiter)
    if where:
        raise InputError(
            f"{path.name}: not valid {mapping.encoding} text at {where}; set 'encoding:' in "
            "the mapping to the file's encoding (e.g. cp1252 or latin-1) or fix the file; "
            "nothing was loaded"
        )


def _refuse_other_performers(
    found: list[Row], prepared: Prepared, file: str
) -> dict[str, str | None]:
    """An event ID belongs to one performer: a row naming another customer for an event the
    graph already has (found: interactions_existing's rows for the chunk) is quarantined
    with the reason, and nothing of it is written. Returns the chunk's events the graph has,
    with their stored fingerprints."""
    rows = prepared.writes.get("upsert_interactions", [])
    if not rows:
        return {}
    owner = {r["interactionId"]: r["customerId"] for r in found if r["customerId"] is not None}
    refused = {
        r["interactionId"]: owner[r["interactionId"]]
        for r in rows
        if r["interactionId"] in owner and owner[r["interactionId"]] != r["customerId"]
    }
    existing = {r["interactionId"]: r.get("rowHash") for r in found}
    if not refused:
        return existing
    for name, batch in prepared.writes.items():
        prepared.writes[name] = [r for r in batch if r.get("interactionId") not in refused]
    for r in rows:
        if r["interactionId"] in refused:
            prepared.quarantined.append(
                quarantine_line(
                    file,
                    prepared.rows.get(r["interactionId"], 0),
                    f"event {r['interactionId']} already belongs to {refused[r['interactionId']]}"
                    " (an event ID belongs to one performer)",
                    {"interactionId": r["interactionId"], "customerId": r["customerId"]},
                )
            )
    prepared.loaded -= len(refused)
    return existing
