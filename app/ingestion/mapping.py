"""Source mappings: which source column feeds which canonical field, read from YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from app.errors import ConfigError
from app.ingestion.fields import FIELDS, REQUIRED, Kind

BUILTIN_DIR = Path(__file__).parent / "mappings"
KINDS: tuple[Kind, ...] = ("customers", "interactions")


@dataclass(frozen=True)
class Mapping:
    source: str
    kind: Kind
    columns: dict[str, str]  # source column -> canonical field
    formats: dict[str, str] = field(default_factory=dict)  # canonical field -> strptime format
    defaults: dict[str, str] = field(default_factory=dict)  # canonical field -> constant
    encoding: str = "utf8"
    origin: str = "<inline>"

    @property
    def canonical(self) -> set[str]:
        return set(self.columns.values()) | set(self.defaults)

    def missing_columns(self, header: list[str]) -> list[str]:
        """Source columns that feed a required field but are absent from the file."""
        present = set(header)
        needed = [c for c, f in self.columns.items() if f in REQUIRED[self.kind]]
        return [c for c in needed if c not in present and self.columns[c] not in self.defaults]


def _require_map(data: dict[str, Any], key: str, origin: str) -> dict[str, str]:
    value = data.get(key) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"mapping {origin}: '{key}' must be a map of names to names")
    return {str(k): str(v) for k, v in value.items()}


def parse_mapping(data: Any, origin: str, source: str | None = None) -> Mapping:
    if not isinstance(data, dict):
        raise ConfigError(f"mapping {origin}: expected a YAML map at the top level")
    kind = data.get("kind", "customers")
    if kind not in KINDS:
        raise ConfigError(f"mapping {origin}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    kind = cast(Kind, kind)
    columns = _require_map(data, "columns", origin)
    formats = _require_map(data, "formats", origin)
    defaults = _require_map(data, "defaults", origin)
    allowed = set(FIELDS[kind])
    for where, names in (
        ("columns", columns.values()),
        ("formats", formats),
        ("defaults", defaults),
    ):
        unknown = sorted(set(names) - allowed)
        if unknown:
            raise ConfigError(
                f"mapping {origin}: unknown canonical field(s) in '{where}': {', '.join(unknown)}; "
                f"{kind} fields are: {', '.join(FIELDS[kind])}"
            )
    targets = list(columns.values())
    dupes = sorted({t for t in targets if targets.count(t) > 1})
    if dupes:
        raise ConfigError(f"mapping {origin}: several columns map to {', '.join(dupes)}")
    mapped = set(targets) | set(defaults)
    missing = [f for f in REQUIRED[kind] if f not in mapped]
    if missing:
        raise ConfigError(f"mapping {origin}: no column maps to required field(s) {missing}")
    src = source or data.get("source")
    if not src or not isinstance(src, str):
        raise ConfigError(f"mapping {origin}: no source name (give --source or 'source:')")
    return Mapping(
        source=src,
        kind=kind,
        columns=columns,
        formats=formats,
        defaults=defaults,
        encoding=str(data.get("encoding", "utf8")),
        origin=origin,
    )


def load_mapping(path: Path, source: str | None = None) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read mapping {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"mapping {path} is not valid YAML: {exc}") from exc
    return parse_mapping(data, str(path), source)


def builtin_mapping(source: str, kind: Kind) -> Mapping:
    path = BUILTIN_DIR / f"{source}.{kind}.yaml"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".yaml") for p in BUILTIN_DIR.glob("*.yaml"))
        raise ConfigError(
            f"no built-in mapping for source {source!r} ({kind}); give --mapping FILE. "
            f"Built-in: {', '.join(known) or 'none'}"
        )
    return load_mapping(path, source)
