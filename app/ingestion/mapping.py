"""Source mappings: which source column feeds which canonical field, read from YAML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from app.errors import BadValue, ConfigError
from app.ingestion.fields import FIELDS, REQUIRED, Kind
from app.values import source_name

BUILTIN_DIR = Path(__file__).parent / "mappings"
KINDS: tuple[Kind, ...] = ("customers", "interactions")


# Names a mapping may give: identifier types become `id_<type>` properties and Identifier
# keys, attributes `attr_<name>`, account attributes Account properties (spliced nowhere:
# they travel as map keys, but a pattern keeps them plain and readable in Cypher).
IDENTIFIER_TYPE = re.compile(r"^[a-z][A-Za-z0-9]{0,39}$")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
ATTRIBUTE_NAME_RULE = "a letter, then up to 39 letters, digits or _"  # ATTRIBUTE_NAME in words
COMPARES: tuple[str, ...] = ("exact", "typo")
ALL_FIELDS: frozenset[str] = frozenset(f for fields in FIELDS.values() for f in fields)
# Fields read as calendar dates (app/ingestion/dates.py, date), which `earliest:` may govern.
DATE_FIELDS: tuple[str, ...] = ("dateOfBirth",)
# Every key a mapping may have: another (a typo of one of these) is refused, not ignored.
KEYS: tuple[str, ...] = (
    "description",  # free text for the people who keep the mapping; not read
    "source",
    "kind",
    "encoding",
    "delimiter",
    "columns",
    "formats",
    "earliest",
    "defaults",
    "identifiers",
    "attributes",
    "compareAttributes",
    "accountAttributes",
)
# `delimiter:` by name, for the ones YAML makes awkward to write.
DELIMITER_NAMES: dict[str, str] = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class Mapping:
    source: str
    kind: Kind
    # source column -> canonical field or declared identifier type; several columns may
    # feed one target (joined with a space, in this order)
    columns: dict[str, str]
    # canonical field -> strptime formats, tried in order for each value
    formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # date field -> the earliest year it may hold (Settings.earliest_birth_year when absent)
    earliest: dict[str, int] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)  # canonical field -> constant
    identifiers: dict[str, str] = field(default_factory=dict)  # identifier type -> compare
    attributes: dict[str, str] = field(default_factory=dict)  # column -> attribute name
    # attribute name -> compare (exact|typo): attributes resolution compares (an occupation,
    # a place of birth), weighed by how common each value is; the others are only kept
    compare_attributes: dict[str, str] = field(default_factory=dict)
    account_attributes: dict[str, str] = field(default_factory=dict)  # column -> property
    encoding: str = "utf8"
    # the character between a CSV file's values; None: by the file (app/ingestion/reader.py,
    # delimiter_of: a tab for .tsv, else a comma)
    delimiter: str | None = None
    origin: str = "<inline>"

    def __post_init__(self) -> None:
        # The source is part of every key and of the quarantine file's name: one rule for
        # files, the API and the CLI (app/values.py).
        object.__setattr__(self, "source", source_name(self.source))

    @property
    def canonical(self) -> set[str]:
        return set(self.columns.values()) | set(self.defaults)

    @property
    def targets(self) -> list[str]:
        """Every field or identifier type a column feeds, in the order first listed."""
        return list(dict.fromkeys(self.columns.values()))

    def earliest_year(self, field_: str, default: int) -> int:
        """The earliest year a date field may hold: this mapping's, else the default
        (Settings.earliest_birth_year)."""
        return self.earliest.get(field_, default)

    def sources_of(self, target: str) -> list[str]:
        """The columns feeding a target, in the order listed."""
        return [c for c, t in self.columns.items() if t == target]

    def column_label(self, target: str) -> str:
        """How quarantine lines name the column(s) of a target: `a+b` when combined."""
        return "+".join(self.sources_of(target)) or target

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


def _formats(data: dict[str, Any], origin: str) -> dict[str, tuple[str, ...]]:
    """`field: "%d/%m/%Y"` or `field: ["%Y%m%d", "%m/%d/%Y"]` (tried in that order)."""
    value = data.get("formats") or {}
    if not isinstance(value, dict):
        raise ConfigError(f"mapping {origin}: 'formats' must be a map of fields to formats")
    out: dict[str, tuple[str, ...]] = {}
    for name, given in value.items():
        listed = [given] if isinstance(given, str) else given
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(f, str) and f for f in listed)
        ):
            raise ConfigError(
                f"mapping {origin}: formats.{name} must be a strptime format or a list of them"
            )
        out[str(name)] = tuple(listed)
    return out


def _earliest(data: dict[str, Any], origin: str) -> dict[str, int]:
    """`dateOfBirth: 1600`: records that go back further than dates of birth of living
    customers (a genealogy, a register of historical persons)."""
    value = data.get("earliest") or {}
    if not isinstance(value, dict):
        raise ConfigError(f"mapping {origin}: 'earliest' must be a map of date fields to years")
    out: dict[str, int] = {}
    for name, year in value.items():
        if name not in DATE_FIELDS:
            raise ConfigError(
                f"mapping {origin}: earliest.{name}: not a date field; "
                f"date fields are: {', '.join(DATE_FIELDS)}"
            )
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise ConfigError(
                f"mapping {origin}: earliest.{name} must be a year from 1 to 9999, not {year!r}"
            )
        out[name] = year
    return out


def _delimiter(data: dict[str, Any], origin: str) -> str | None:
    """One character (`";"`, `"\\t"`), or tab, comma, semicolon or pipe by name."""
    value = data.get("delimiter")
    if value is None:
        return None
    if isinstance(value, str):
        value = DELIMITER_NAMES.get(value.strip().lower(), value)
    if not isinstance(value, str) or len(value) != 1 or value in '"\r\n':
        names = ", ".join(DELIMITER_NAMES)
        raise ConfigError(
            f"mapping {origin}: delimiter must be one character other than a quote or a line "
            f'break (e.g. ";") or one of {names}, not {value!r}'
        )
    return value


def _identifiers(data: dict[str, Any], origin: str) -> dict[str, str]:
    """`type: exact|typo` or `type: {compare: exact|typo}`."""
    value = data.get("identifiers") or {}
    if not isinstance(value, dict):
        raise ConfigError(f"mapping {origin}: 'identifiers' must be a map of type -> compare")
    out: dict[str, str] = {}
    for name, spec in value.items():
        compare = spec.get("compare") if isinstance(spec, dict) else spec
        if isinstance(spec, dict) and set(spec) - {"compare"}:
            raise ConfigError(
                f"mapping {origin}: identifiers.{name} has unknown key(s) "
                f"{', '.join(sorted(map(str, set(spec) - {'compare'})))}; only 'compare'"
            )
        if not isinstance(name, str) or not IDENTIFIER_TYPE.match(name):
            raise ConfigError(
                f"mapping {origin}: identifier type {name!r} must be a letter a-z then up "
                "to 39 letters or digits (e.g. nationalId)"
            )
        if name in ALL_FIELDS:
            raise ConfigError(
                f"mapping {origin}: identifier type {name!r} is a canonical field; "
                "give the type another name"
            )
        if compare not in COMPARES:
            raise ConfigError(
                f"mapping {origin}: identifiers.{name}: compare must be one of "
                f"{', '.join(COMPARES)}, not {compare!r}"
            )
        out[name] = str(compare)
    return out


def _compare_attributes(
    data: dict[str, Any], attributes: dict[str, str], origin: str
) -> dict[str, str]:
    """`[occupation, birthPlace]` (compared exactly) or `{occupation: exact, birthPlace:
    typo}`: attributes of this mapping that resolution compares."""
    value = data.get("compareAttributes") or {}
    if isinstance(value, list):
        value = {name: "exact" for name in value}
    if not isinstance(value, dict):
        raise ConfigError(
            f"mapping {origin}: 'compareAttributes' must be a list of attribute names or a "
            "map of attribute name -> compare"
        )
    out: dict[str, str] = {}
    named = set(attributes.values())
    for name, compare in value.items():
        if name not in named:
            raise ConfigError(
                f"mapping {origin}: compareAttributes: {name!r} is not an attribute of this "
                f"mapping; its attributes are: {', '.join(sorted(named)) or 'none'}"
            )
        if compare not in COMPARES:
            raise ConfigError(
                f"mapping {origin}: compareAttributes.{name}: compare must be one of "
                f"{', '.join(COMPARES)}, not {compare!r}"
            )
        out[str(name)] = str(compare)
    return out


def _named_columns(
    data: dict[str, Any], key: str, origin: str, *, allow_list: bool
) -> dict[str, str]:
    """Column -> name, from a map or (attributes) a list of columns named after themselves."""
    value = data.get(key) or {}
    if allow_list and isinstance(value, list):
        value = {str(c): str(c) for c in value}
    if not isinstance(value, dict):
        shape = "a list of columns or a map" if allow_list else "a map"
        raise ConfigError(f"mapping {origin}: '{key}' must be {shape} of column -> name")
    out = {str(c): str(n) for c, n in value.items()}
    for column, name in out.items():
        if not ATTRIBUTE_NAME.match(name):
            raise ConfigError(
                f"mapping {origin}: {key}: {name!r} (column {column}) is not a usable name: "
                + ATTRIBUTE_NAME_RULE
                + ("; map the column to one (column: name)" if allow_list else "")
            )
    names = list(out.values())
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"mapping {origin}: {key}: several columns named {', '.join(dupes)}")
    return out


def parse_mapping(
    data: Any, origin: str, source: str | None = None, kind: Kind | None = None
) -> Mapping:
    """`kind`: the kind when the mapping does not say (else it must agree)."""
    if not isinstance(data, dict):
        raise ConfigError(f"mapping {origin}: expected a YAML map at the top level")
    unknown_keys = sorted(str(k) for k in data if k not in KEYS)
    if unknown_keys:
        raise ConfigError(
            f"mapping {origin}: unknown key(s) {', '.join(unknown_keys)}; a mapping's keys "
            f"are: {', '.join(KEYS)}"
        )
    given = data.get("kind", kind or "customers")
    if kind is not None and given != kind:
        raise ConfigError(f"mapping {origin}: says kind {given!r} where {kind!r} is expected")
    kind = given
    if kind not in KINDS:
        raise ConfigError(f"mapping {origin}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    kind = cast(Kind, kind)
    columns = _require_map(data, "columns", origin)
    formats = _formats(data, origin)
    earliest = _earliest(data, origin)
    defaults = _require_map(data, "defaults", origin)
    identifiers = _identifiers(data, origin)
    attributes = _named_columns(data, "attributes", origin, allow_list=True)
    compare_attributes = _compare_attributes(data, attributes, origin)
    account_attributes = _named_columns(data, "accountAttributes", origin, allow_list=False)
    if kind != "customers" and (identifiers or attributes):
        raise ConfigError(
            f"mapping {origin}: 'identifiers' and 'attributes' describe customer records; "
            f"this mapping is for {kind}"
        )
    allowed = set(FIELDS[kind])
    for where, names, extra in (
        ("columns", columns.values(), set(identifiers)),
        ("formats", formats, set()),
        ("defaults", defaults, set()),
    ):
        unknown = sorted(set(names) - allowed - extra)
        if unknown:
            hint = (
                "; declare other identifiers under 'identifiers:'"
                if where == "columns" and kind == "customers"
                else ""
            )
            raise ConfigError(
                f"mapping {origin}: unknown canonical field(s) in '{where}': {', '.join(unknown)}; "
                f"{kind} fields are: {', '.join(FIELDS[kind])}{hint}"
            )
    mapped = set(columns.values()) | set(defaults)
    missing = [f for f in REQUIRED[kind] if f not in mapped]
    if missing:
        raise ConfigError(f"mapping {origin}: no column maps to required field(s) {missing}")
    if account_attributes and "accountId" not in mapped:
        raise ConfigError(
            f"mapping {origin}: 'accountAttributes' needs a column mapped to accountId "
            "(the account they describe)"
        )
    if "accountId" in account_attributes.values():
        raise ConfigError(f"mapping {origin}: accountAttributes cannot set accountId (the key)")
    src = source or data.get("source")
    if not src or not isinstance(src, str):
        raise ConfigError(f"mapping {origin}: no source name (give --source or 'source:')")
    try:
        src = source_name(src)
    except BadValue as exc:
        raise ConfigError(f"mapping {origin}: {exc}") from None
    return Mapping(
        source=src,
        kind=kind,
        columns=columns,
        formats=formats,
        earliest=earliest,
        defaults=defaults,
        identifiers=identifiers,
        attributes=attributes,
        compare_attributes=compare_attributes,
        account_attributes=account_attributes,
        encoding=str(data.get("encoding", "utf8")),
        delimiter=_delimiter(data, origin),
        origin=origin,
    )


def load_mapping(path: Path, source: str | None = None, kind: Kind | None = None) -> Mapping:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read mapping {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"mapping {path} is not valid YAML: {exc}") from exc
    return parse_mapping(data, str(path), source, kind)


def builtin_mapping(source: str, kind: Kind) -> Mapping:
    source = source_name(source)  # before it becomes part of a path
    path = BUILTIN_DIR / f"{source}.{kind}.yaml"
    if not path.is_file():
        known = sorted(p.name.removesuffix(".yaml") for p in BUILTIN_DIR.glob("*.yaml"))
        raise ConfigError(
            f"no built-in mapping for source {source!r} ({kind}); give --mapping FILE. "
            f"Built-in: {', '.join(known) or 'none'}"
        )
    return load_mapping(path, source)
