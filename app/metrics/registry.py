"""The running set of metric definitions: the shipped starter file (or IDGRAPH_METRICS_FILE
instead), plus the ones defined since (GraphQL `defineMetric`, `idgraph fit-model`), kept in
<data dir>/metrics/defined.yaml. A new definition is checked together with all the others;
if the set fails, nothing is written and the running set stays as it was."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.audit import record as audit
from app.metrics.definitions import Definition, as_dict, as_yaml, ordered, read_file
from app.settings import Settings
from app.store import GraphStore

STARTER = Path(__file__).with_name("starter.yaml")

_lock = threading.Lock()
_cache: dict[tuple[Path, Path], tuple[tuple[int, int], tuple[Definition, ...]]] = {}


def base_file(settings: Settings) -> Path:
    return settings.metrics_file or STARTER


def defined_file(settings: Settings) -> Path:
    return settings.data_dir / "metrics" / "defined.yaml"


def model_dir(settings: Settings) -> Path:
    return settings.data_dir / "models"


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _combine(base: list[Definition], added: list[Definition]) -> list[Definition]:
    """The base set with added definitions replacing same-named ones or appended."""
    out = {d.name: d for d in base}
    for d in added:
        out[d.name] = d
    return list(out.values())


def running(settings: Settings) -> tuple[Definition, ...]:
    """The running definitions, dependencies first (re-read when a file changes)."""
    base, added = base_file(settings), defined_file(settings)
    stamp = (_mtime(base), _mtime(added))
    with _lock:
        hit = _cache.get((base, added))
        if hit and hit[0] == stamp:
            return hit[1]
        extra = read_file(added) if added.exists() else []
        defs = ordered(_combine(read_file(base), extra), model_dir(settings))
        _cache[(base, added)] = (stamp, defs)
        return defs


def define(settings: Settings, definition: Definition) -> tuple[Definition, ...]:
    """Add or replace one definition. Raises MetricDefinitionError, changing nothing, when the
    set with it would not be valid; returns the new running set."""
    with _lock:
        added = defined_file(settings)
        extra = read_file(added) if added.exists() else []
        extra = _combine(extra, [definition])
        base = read_file(base_file(settings))
        defs = ordered(_combine(base, extra), model_dir(settings))
        added.parent.mkdir(parents=True, exist_ok=True)
        tmp = added.with_suffix(".tmp")
        tmp.write_text(as_yaml(extra), encoding="utf-8")
        os.replace(tmp, added)
        _cache[(base_file(settings), added)] = ((_mtime(base_file(settings)), _mtime(added)), defs)
        return defs


def define_by(
    store: GraphStore, settings: Settings, definition: Definition, actor: str
) -> tuple[Definition, ...]:
    """define(), audited under `actor` with the definition it replaced (`defineMetric`,
    `idgraph fit-model`)."""
    earlier = next((d for d in running(settings) if d.name == definition.name), None)
    defs = define(settings, definition)
    before = as_dict(earlier) if earlier is not None else None
    metric = [f"metric:{definition.name}"]
    audit(store, actor, "defineMetric", "", before, as_dict(definition), other_ids=metric)
    return defs
