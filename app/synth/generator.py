"""Synthetic customer data with ground truth: people, households, source files, events.

`generate` writes one customers and one interactions file per source system plus
three truth files that say which person each record belongs to. The same seed
and config always give byte-identical files.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from rich.progress import Progress

from app.errors import ConfigError
from app.synth.common import stream
from app.synth.identifiers import Identifiers, build_identifiers
from app.synth.interactions import event_counts, events
from app.synth.output import FORMATS, Format, write_table
from app.synth.pools import build_pools
from app.synth.population import People, build_people
from app.synth.sources import SOURCES, Records, assign_records, customers

# Stream tags: one independent random stream per stage.
_POOLS, _PEOPLE, _IDS, _RECORDS, _COUNTS = range(5)
_CUSTOMERS, _EVENTS = 100, 200


@dataclass(frozen=True)
class SynthConfig:
    people: int = 1000
    seed: int = 42
    mess: float = 1.0  # 0 = clean, 1 = default mess level, 2 = very messy
    start: date = date(2025, 1, 1)  # interactions span start .. start + 365 days
    interactions_per_person: float = 8.0  # mean

    def check(self) -> None:
        if self.people < 1:
            raise ConfigError("people must be at least 1.")
        if self.seed < 0:
            raise ConfigError("seed must be zero or a positive integer.")
        if not 0 <= self.mess <= 5:
            raise ConfigError("mess must be between 0 (clean) and 5; 1 is the default level.")
        if self.interactions_per_person < 0:
            raise ConfigError("interactions_per_person cannot be negative.")


@dataclass
class SynthSummary:
    counts: dict[str, int] = field(default_factory=dict)  # file name -> rows written
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(v for k, v in self.counts.items() if "_customers." in k)

    @property
    def interactions(self) -> int:
        return sum(v for k, v in self.counts.items() if "_interactions." in k)


class _Steps:
    """Advances a rich progress bar, or nothing when progress is off."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.task = progress.add_task("synth", total=total) if progress else None

    def __call__(self, what: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, description=what)


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[_Steps]:
    if not enabled:
        yield _Steps(None, total)
        return
    with Progress(transient=False) as bar:
        yield _Steps(bar, total)


def _person_ids(n: int) -> np.ndarray:
    return np.array([f"P{i:06d}" for i in range(1, n + 1)], dtype=object)


def _truth(people: People, ids: Identifiers, recs: Records, out_dir: Path) -> dict[str, int]:
    pid = _person_ids(people.n)
    hid = np.array([f"H{i:06d}" for i in range(1, len(people.hh_size) + 1)], dtype=object)
    dm = np.zeros(people.n, bool)
    dm[ids.decision_maker] = True
    tables = {
        "truth_records.csv": {
            "source": np.array(SOURCES, dtype=object)[recs.source],
            "source_key": recs.key,
            "person_id": pid[recs.person],
            "row": recs.row,
        },
        "truth_people.csv": {
            "person_id": pid,
            "household_id": hid[people.household],
            "role": np.where(dm, "decision_maker", "member").astype(object),
            "first_name": people.first,
            "last_name": people.last,
            "date_of_birth": people.dob.astype(str).astype(object),
            "moved": people.moved.astype(np.int64),
        },
        "truth_households.csv": {
            "household_id": hid,
            "size": people.hh_size,
            "decision_maker": pid[ids.decision_maker],
        },
    }
    return {name: write_table(cols, out_dir / name, "csv") for name, cols in tables.items()}


def generate(
    config: SynthConfig, out_dir: Path, fmt: Format = "csv", progress: bool = False
) -> SynthSummary:
    """Generate all source files and the truth into out_dir (created if missing)."""
    config.check()
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    began = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seed, mess = config.seed, config.mess
    summary = SynthSummary()

    def written(name: str, rows: int) -> None:
        summary.counts[name] = rows
        summary.files.append(out_dir / name)

    with _progress(progress, 2 + 2 * len(SOURCES) + 1) as step:
        pools = build_pools(seed)
        people = build_people(config.people, config.start, pools, stream(seed, _PEOPLE))
        ids = build_identifiers(people, stream(seed, _IDS))
        step("people and households")
        recs = assign_records(people, stream(seed, _RECORDS), mess)
        counts = event_counts(recs, people.n, config.interactions_per_person, stream(seed, _COUNTS))
        step("source records")
        for s, name in enumerate(SOURCES):
            cols = customers(s, recs, people, ids, stream(seed, _CUSTOMERS + s), mess)
            file = f"{name}_customers.{fmt}"
            written(file, write_table(cols, out_dir / file, fmt))
            del cols
            step(file)
            ev = events(s, recs, counts, ids, people.start, stream(seed, _EVENTS + s), mess)
            file = f"{name}_interactions.{fmt}"
            written(file, write_table(ev, out_dir / file, fmt))
            del ev
            step(file)
        for name, rows in _truth(people, ids, recs, out_dir).items():
            written(name, rows)
        step("truth")
    summary.seconds = time.perf_counter() - began
    return summary
