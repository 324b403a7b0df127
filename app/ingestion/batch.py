"""Load a folder of source files named <source>_customers.<ext> / <source>_interactions.<ext>,
each with the mapping file `<source>.<kind>.yaml` beside it, or else the built-in mapping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

from app.errors import InputError
from app.ingestion.fields import Kind
from app.ingestion.loader import IngestSummary, ingest_file
from app.ingestion.mapping import Mapping, load_mapping
from app.ingestion.reader import SUFFIXES
from app.settings import Settings
from app.store import GraphStore

_FILE = re.compile(r"^(?P<source>[a-z][a-z0-9_]*?)_(?P<kind>customers|interactions)$")


def source_files(directory: Path) -> list[tuple[str, Kind, Path]]:
    """(source, kind, path) for every loadable file, customers before interactions."""
    found = []
    for path in sorted(directory.iterdir()):
        m = _FILE.match(path.stem)
        if m and path.suffix.lower() in SUFFIXES:
            found.append((m["source"], cast(Kind, m["kind"]), path))
    return sorted(found, key=lambda t: (t[1] != "customers", t[0]))


def load_directory(
    store: GraphStore,
    directory: Path,
    settings: Settings,
    *,
    show_progress: bool = True,
    kinds: tuple[str, ...] = ("customers", "interactions"),
) -> list[IngestSummary]:
    files = [f for f in source_files(directory) if f[1] in kinds]
    if not files:
        raise InputError(f"{directory}: no <source>_customers or <source>_interactions files")
    # Every mapping is read before anything loads, so a bad one stops the run at the start.
    mappings = {(s, k): folder_mapping(directory, s, k) for s, k, _ in files}
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


def folder_mapping(directory: Path, source: str, kind: Kind) -> Mapping | None:
    """The mapping file `<source>.<kind>.yaml` in the folder, if there is one."""
    path = directory / f"{source}.{kind}.yaml"
    if not path.is_file():
        return None
    return load_mapping(path, source, kind)
