"""A reload of a file the graph already holds, found without reading the file's rows.

A finished load writes beside its journal the keys of the file's records (or events) and
the fingerprint (`rowHash`, app/ingestion/fresh.py) the graph held for each when the load
ended, and puts into the journal a digest of everything that shapes the rows it prepares:
the file's bytes, the mapping, the settings the rows depend on, the identifier types and
this program's own code. When a load of the same file finds the same
digest, it reads the stored fingerprints of those keys (one small read per batch of keys)
and, when each is the one written down, stops there: the row-by-row load would have found
every record unchanged and written nothing (docs/ingestion.md, "A file loaded before").
Anything else, a changed byte, an edited record, an erased person or a new version of the
code, and the file loads row by row as always.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from itertools import batched
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from app.ingestion.fresh import KINDS, stored_fingerprints
from app.ingestion.mapping import Mapping
from app.settings import Settings
from app.store import GraphStore, marks
from app.store.base import CYPHER_DIR

APP_DIR = Path(__file__).resolve().parents[1]
# Libraries whose data or parsing decide a prepared value (a phone's E.164 form, a date).
LIBRARIES = ("phonenumbers", "pandas", "pyarrow", "orjson")
READ_BATCH = 10_000
KEYS_SUFFIX = ".keys"


@cache
def code_digest() -> str:
    """This program's own code (every module and Cypher file) and the libraries' versions:
    a new version of either prepares rows afresh."""
    h = hashlib.blake2b(digest_size=16)
    # app/cypher is a link to the query folder, which rglob does not follow: walked apart.
    for root in (APP_DIR, CYPHER_DIR):
        for path in sorted(root.rglob("*")):
            if path.suffix in {".py", ".cypher", ".part", ".yaml"} and path.is_file():
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=none".encode())
    return h.hexdigest()


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def inputs_digest(
    path: Path,
    mapping: Mapping,
    settings: Settings,
    identifier_types: dict[str, str],
) -> str:
    """Everything the prepared rows of a load of this file depend on, as one digest."""
    inputs = {
        "file": file_digest(path),
        "mapping": asdict(mapping),
        "settings": {
            "max_field_length": settings.max_field_length,
            "default_country": settings.default_country,
            "earliest_birth_year": settings.earliest_birth_year,
            "max_columns": settings.max_columns,
        },
        "identifierTypes": identifier_types,
        "code": code_digest(),
    }
    text = orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


@dataclass
class HeldKeys:
    """The file's records (or events) and the fingerprint the graph holds for each: the
    rows it wrote or found unchanged, and the events it refused because another performer
    holds them (their owner's fingerprint: an erasure of that owner changes the answer).
    Written by a load through a KeySpool."""

    kind: str  # "customers" or "interactions"
    fingerprints: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> HeldKeys | None:
        """The keys a KeySpool saved (None when there are none, or they cannot be read)."""
        try:
            lines = path.read_bytes().splitlines()
            head = orjson.loads(lines[0])
            out = cls(head["kind"], dict(head.get("fingerprints", {})))  # or one object
            for line in lines[1:]:
                out.fingerprints.update(orjson.loads(line))
            return out
        except (OSError, ValueError, TypeError, IndexError, KeyError):
            return None

    def still_held(self, store: GraphStore) -> bool:
        """Whether the graph holds each key with the fingerprint written down."""
        spec = KINDS[self.kind]
        for batch in batched(self.fingerprints, READ_BATCH):
            found = stored_fingerprints(store, spec.existing, spec.key, batch)
            if len(found) != len(batch) or any(found.get(k) != self.fingerprints[k] for k in batch):
                return False
        return True


class KeySpool:
    """A load's HeldKeys, written to `path` chunk by chunk as they come (a line of JSON a
    chunk, after one naming the kind) instead of held, so that the loader's memory does not
    grow with the file (a hundred million events' keys are ~10 GB); `save` moves the file
    into place. A file's keys are distinct (a key used twice is quarantined at its second
    row), so the chunks' lines never name one key twice."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind, self.path = kind, path
        self._out: BinaryIO | None = None

    def _file(self) -> BinaryIO:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("wb", buffering=0)  # a chunk's line a write
            self._out.write(orjson.dumps({"kind": self.kind}) + b"\n")
        return self._out

    def add(self, writes: dict[str, list[dict[str, Any]]], held: dict[str, str | None]) -> None:
        """A chunk's prepared writes (after suppression and refusals), and the fingerprints
        the graph held for the chunk's keys (those it writes get the new ones)."""
        spec = KINDS[self.kind]
        chunk: dict[str, str | None] = {}
        for r in writes.get(spec.main, []):
            chunk[str(r[spec.key])] = r["props"].get("rowHash")
        for k, h in held.items():
            chunk.setdefault(str(k), h)
        out = self._file()
        if chunk:
            out.write(orjson.dumps(chunk) + b"\n")

    def save(self, path: Path) -> None:
        self._file().close()
        self._out = None
        self.path.replace(path)


# Who can change the fingerprint the graph holds for a loaded record or event: loads (of this
# folder or another), and real time, stewards and erasure. Not resolve, households or metrics.
READS = (marks.OTHER, marks.INGEST)
MARKS_FILE = "held.marks"


def record_marks(settings: Settings, names: list[str], now: dict[str, str]) -> None:
    """The loads named `names` (load_name) left the graph as it is with the
    marks `now` (read once their folder's load had ended, with nobody else writing)."""
    path = settings.data_dir / "loads" / MARKS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"marks": now, "loads": sorted(names)}))
    tmp.replace(path)


def marks_unmoved(held_path: Path, store: GraphStore) -> bool:
    """Whether nobody that could change a fingerprint has written since the load whose keys
    are at `held_path` left the graph (then its fingerprints need no reading)."""
    try:
        last = orjson.loads((held_path.parent / MARKS_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    name = held_path.name.removesuffix(KEYS_SUFFIX)
    return name in last.get("loads", []) and last.get("marks") == marks.read_marks(store, READS)


def forget_all(settings: Settings) -> None:
    """Delete every load's key file (an erasure: they name the person's records)."""
    for path in (settings.data_dir / "loads").glob(f"*{KEYS_SUFFIX}"):
        path.unlink(missing_ok=True)
    (settings.data_dir / "loads" / MARKS_FILE).unlink(missing_ok=True)


def load_name(source: str, kind: str, path: Path | str) -> str:
    """How a file's load is named (its journal, key file, quarantine file, held marks):
    <source>.<kind>.<file stem>, and for a file other than CSV its type after it
    (crm_customers.jsonl: crm.customers.crm_customers.jsonl), so that two files of one stem
    in a folder (crm_customers.csv and .jsonl) are two loads, not one whose second file
    deleted the first's quarantine file and wrote over its keys."""
    path = Path(path)
    suffix = path.suffix.lower()
    return f"{source}.{kind}.{path.stem}" + ("" if suffix == ".csv" else suffix)


def keys_path(settings: Settings, name: str) -> Path:
    """Where the load named `name` (load_name) keeps its keys."""
    return settings.data_dir / "loads" / f"{name}{KEYS_SUFFIX}"
