"""Load a folder of source files named <source>_customers.<ext> / <source>_interactions.<ext>,
each with the mapping file `<source>.<kind>.yaml` beside it, or else the built-in mapping."""

from __future__ import annotations

import contextlib
import gc
import re
import time
from pathlib import Path
from typing import cast

from app.errors import BulkUnsupported, IncompleteLoad, InputError, StoreError
from app.ingestion import held
from app.ingestion.ahead import Ahead
from app.ingestion.bulk import BulkGraph
from app.ingestion.fields import Kind
from app.ingestion.loader import IngestSummary, ingest_file, plan_file
from app.ingestion.mapping import Mapping, load_mapping
from app.ingestion.reader import SUFFIXES
from app.settings import Settings
from app.store import GraphStore, marks
from app.store.base import batch_stage

_FILE = re.compile(r"^(?P<source>[a-z][a-z0-9_]*?)_(?P<kind>customers|interactions)$")


def source_files(directory: Path) -> list[tuple[str, Kind, Path]]:
    """(source, kind, path) for every loadable file, customers before interactions."""
    found = []
    for path in sorted(directory.iterdir()):
        m = _FILE.match(path.stem)
        if m and path.suffix.lower() in SUFFIXES:
            found.append((m["source"], cast(Kind, m["kind"]), path))
    return sorted(found, key=lambda t: (t[1] != "customers", t[0]))


@batch_stage
def load_directory(
    store: GraphStore,
    directory: Path,
    settings: Settings,
    *,
    show_progress: bool = True,
    kinds: tuple[str, ...] = ("customers", "interactions"),
    bulk: bool | None = None,
) -> list[IngestSummary]:
    """Load every source file of the folder. bulk: True goes through the store's bulk path
    (the graph must hold no records yet), False writes with queries, None chooses: bulk for
    a first load of at least settings.bulk_min_bytes on a store that has the path. When
    nobody else wrote while it ran, the change marks it leaves are written down: a reload
    with none moved since finds its files held without reading their fingerprints."""
    before = marks.read_marks(store, held.READS)
    with marks.writing_as(store, marks.INGEST) as wrote:
        summaries = _load(store, directory, settings, show_progress, kinds, bulk)
    after = marks.read_marks(store, held.READS)
    if marks.moved_only_by(before, after, wrote):
        names = [held.load_name(s.source, s.kind, s.file) for s in summaries]
        held.record_marks(settings, names, after)
    return summaries


def _load(
    store: GraphStore,
    directory: Path,
    settings: Settings,
    show_progress: bool,
    kinds: tuple[str, ...],
    bulk: bool | None,
) -> list[IngestSummary]:
    files = [f for f in source_files(directory) if f[1] in kinds]
    if not files:
        raise InputError(f"{directory}: no <source>_customers or <source>_interactions files")
    # Every mapping is read before anything loads, so a bad one stops the run at the start.
    mappings = {(s, k): folder_mapping(directory, s, k) for s, k, _ in files}
    size = sum(path.stat().st_size for _, _, path in files)
    if bulk is None:
        bulk = store.has_bulk_path and 0 <= settings.bulk_min_bytes <= size and first_load(store)
    graph = (
        BulkGraph(
            settings.source_trust,
            store,
            round_rows=settings.bulk_round_rows,
            batch_size=settings.batch_size,
        )
        if bulk
        else None
    )
    summaries: list[IngestSummary] = []
    try:
        if graph is None:
            return [
                ingest_file(
                    store,
                    path,
                    source,
                    settings,
                    mapping=mappings[source, kind],
                    kind=kind,
                    show_progress=show_progress,
                )
                for source, kind, path in files
            ]
        # Every file is checked before any is read; with workers, each is prepared ahead.
        plans = [
            plan_file(store, path, source, settings, mappings[source, kind], kind)
            for source, kind, path in files
        ]
        with contextlib.ExitStack() as stack:
            ahead = (
                stack.enter_context(Ahead(plans, settings, settings.prepare_workers))
                if settings.prepare_workers and size >= settings.prepare_min_bytes
                else None
            )
            summaries = [
                ingest_file(
                    store,
                    plan.path,
                    plan.mapping.source,
                    settings,
                    show_progress=show_progress,
                    bulk=graph,
                    plan=plan,
                    prepared_ahead=ahead.chunks(i) if ahead else None,
                )
                for i, plan in enumerate(plans)
            ]
        started = time.perf_counter()
        last = graph.send()  # what the last round set aside for stored nodes
        summaries[-1].nodes_created += last.nodes_created  # counted with the last file
        summaries[-1].relationships_created += last.relationships_created
    except BulkUnsupported:
        graph = None  # no bulk path here, or records arrived meanwhile: the rows by queries
    except StoreError as exc:
        if graph is None or not summaries:
            raise
        raise IncompleteLoad(
            f"{directory}: the bulk first load stopped: {exc}. Part of it may be in the graph; "
            "run the same load again to complete it (loads are idempotent)"
        ) from exc
    finally:
        if bulk:
            gc.unfreeze()  # BulkGraph.apply froze what it built
    if graph is None:
        return _load(store, directory, settings, show_progress, kinds, bulk=False)
    seconds = time.perf_counter() - started
    for done in graph.on_stored:
        done()
    total = sum(s.rows_read for s in summaries) or 1
    for s in summaries:  # the store's part, shared by rows
        s.seconds += seconds * s.rows_read / total
    return summaries


def first_load(store: GraphStore) -> bool:
    """True when the graph holds none of what a load writes."""
    return not store.read("load_labels_present")


def folder_mapping(directory: Path, source: str, kind: Kind) -> Mapping | None:
    """The mapping file `<source>.<kind>.yaml` in the folder, if there is one."""
    path = directory / f"{source}.{kind}.yaml"
    if not path.is_file():
        return None
    return load_mapping(path, source, kind)
