"""Metric definitions: pydantic models for the five kinds, loaded from YAML and checked as a
set (names, windows, formula references, dependency order, model files). A set that fails
is refused whole, with the metric and field named, and the running set stays as it was."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from app.errors import ConfigError
from app.metrics import formula

# camelCase without underscores: the storage suffixes (`_hv`, `_slope`, ...) start with one,
# so no metric's property can collide with another metric's.
NAME = re.compile(r"^[a-z][A-Za-z0-9]{0,39}$")
_WINDOW = re.compile(r"^(\d{1,4})([hdw])$")
_UNIT_MS = {"h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
ATTRIBUTES = ("type", "channel", "source")  # interaction attributes a metric may group on
CUSTOMER_FIELD = re.compile(r"^[a-z][A-Za-z0-9]{0,63}$")

FORMULA_FUNCTIONS = (
    "abs",
    "min",
    "max",
    "round",
    "log",
    "sqrt",
    "exp",
    "where",
    "coalesce",
    "clip",
)


class MetricDefinitionError(ConfigError):
    """A definition (or set of them) refused; the message names the metric and field."""


def window_ms(window: str) -> int | None:
    """Milliseconds of a window such as 7d, 12w, 24h; None for "all"."""
    if window == "all":
        return None
    m = _WINDOW.match(window)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{window!r} is not a window (e.g. 24h, 7d, 30d, 90d, 12w or all)")
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME.match(v):
            raise ValueError(
                f"{v!r} is not a metric name (camelCase letters and digits, starting with a "
                "lower-case letter, at most 40)"
            )
        if v in FORMULA_FUNCTIONS:
            raise ValueError(f"{v!r} is the name of a formula function")
        return v

    def depends_on(self) -> tuple[str, ...]:
        return ()


def _check_window(v: str) -> str:
    window_ms(v)
    return v


class Factual(_Base):
    """A value copied from the profile's member records, chosen by a survivorship rule."""

    kind: Literal["factual"]
    field: str
    rule: Literal["latest", "earliest", "most_frequent", "source_priority"] = "latest"
    sources: tuple[str, ...] = ()  # priority order for source_priority; else a filter

    @field_validator("field")
    @classmethod
    def _field(cls, v: str) -> str:
        if not CUSTOMER_FIELD.match(v):
            raise ValueError(f"{v!r} is not a customer property name")
        return v


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    types: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None


class Aggregate(_Base):
    """count, sum, avg, min, max or distinct over the profile's interactions in a window."""

    kind: Literal["aggregate"]
    agg: Literal["count", "sum", "avg", "min", "max", "distinct"]
    of: Literal["value", "type", "channel", "source"] = "value"  # distinct counts an attribute
    where: Filter = Filter()
    window: str = "all"

    @field_validator("window")
    @classmethod
    def _window(cls, v: str) -> str:
        return _check_window(v)


class Formula(_Base):
    """An expression over other metrics (simpleeval, element-wise over numpy columns)."""

    kind: Literal["formula"]
    expression: str

    @field_validator("expression")
    @classmethod
    def _expression(cls, v: str) -> str:
        formula_names(v)  # raises ValueError with the reason
        return v

    def depends_on(self) -> tuple[str, ...]:
        return formula_names(self.expression)


class Model(_Base):
    """A score from a fitted model file (see app/metrics/models.py for its format)."""

    kind: Literal["model"]
    model: str  # a model's name in the data folder's models/ (app/metrics/models.py)


class Preference(_Base):
    """The attribute value (e.g. channel) with the best decayed response rate, optionally
    only counting responses at some hours of the day (from occurredAt, UTC)."""

    kind: Literal["preference"]
    over: Literal["channel", "type", "source"] = "channel"
    responses: tuple[str, ...]  # interaction types that count as a response
    exposures: tuple[str, ...] = ()  # types that count as a chance to respond (rates)
    half_life: str = "30d"
    hours: tuple[int, int] | None = None  # [from, to): 17, 23 = evening; may wrap midnight
    window: str = "all"

    @field_validator("window", "half_life")
    @classmethod
    def _windows(cls, v: str) -> str:
        return _check_window(v)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (0 <= v[0] <= 23 and 0 <= v[1] <= 24 and v[0] != v[1]):
            raise ValueError(f"{list(v)} is not an hour range [from, to) within 0..24")
        return v

    @field_validator("responses")
    @classmethod
    def _responses(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("name at least one interaction type that counts as a response")
        return v


Definition = Annotated[
    Factual | Aggregate | Formula | Model | Preference, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[Definition] = TypeAdapter(Definition)


def formula_names(expression: str) -> tuple[str, ...]:
    """The metric names an expression reads, in order of first use."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {expression!r}: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp):
            raise ValueError("`and`/`or` do not work on columns: use & and | (with brackets)")
        if isinstance(node, ast.IfExp):
            raise ValueError("`x if c else y` does not work on columns: use where(c, x, y)")
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            raise ValueError("chained comparisons do not work on columns: use (a < b) & (b < c)")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name) and node.func.id in FORMULA_FUNCTIONS
        ):
            raise ValueError(f"only these functions may be called: {', '.join(FORMULA_FUNCTIONS)}")
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Lambda):
            raise ValueError("attributes, subscripts and lambdas are not allowed")
    calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
    called = {f.id for f in calls if isinstance(f, ast.Name)}
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in called]
    return tuple(dict.fromkeys(names))


def _where(errors: Sequence[Any]) -> str:
    return "; ".join(
        f"field {'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
        for e in errors
    )


def parse_definition(raw: Mapping[str, Any], position: str = "") -> Definition:
    """One definition from a mapping; errors name the metric (or its position) and field."""
    label = raw.get("name") if isinstance(raw, Mapping) else None
    who = f"metric {label!r}" if isinstance(label, str) else f"metric {position}".strip()
    if not isinstance(raw, Mapping):
        raise MetricDefinitionError(f"{who}: a definition is a mapping of fields")
    if raw.get("kind") not in ("factual", "aggregate", "formula", "model", "preference"):
        raise MetricDefinitionError(
            f"{who}: field kind: {raw.get('kind')!r} is not one of factual, aggregate, "
            "formula, model, preference"
        )
    try:
        return _ADAPTER.validate_python(dict(raw))
    except ValidationError as exc:
        errors = [
            {**e, "loc": tuple(p for p in e["loc"] if p != raw["kind"])} for e in exc.errors()
        ]
        raise MetricDefinitionError(f"{who}: {_where(errors)}") from None


def read_file(path: Path) -> list[Definition]:
    """Definitions from a YAML file: `metrics:` followed by a list of definitions."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise MetricDefinitionError(f"cannot read metric definitions {path}: {exc}") from exc
    items = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise MetricDefinitionError(f"{path}: expected `metrics:` followed by a list")
    return [parse_definition(item, f"#{i + 1} of {path.name}") for i, item in enumerate(items)]


def as_dict(definition: Definition) -> dict[str, Any]:
    """A definition as it would be written in YAML (defaults left out)."""
    out = definition.model_dump(mode="json", exclude_defaults=True)
    return {"name": definition.name, "kind": definition.kind, **out}


def as_yaml(definitions: Iterable[Definition]) -> str:
    items = [as_dict(d) for d in definitions]
    return yaml.safe_dump({"metrics": items}, sort_keys=False, allow_unicode=True)


def ordered(definitions: Sequence[Definition], model_dir: Path) -> tuple[Definition, ...]:
    """Check a whole set and put every metric after the ones it reads.

    Refuses duplicate names, references to unknown metrics, cycles and model files that do
    not load (models.py checks their features)."""
    from app.metrics.models import load_model  # models imports this module

    by_name: dict[str, Definition] = {}
    for d in definitions:
        if d.name in by_name:
            raise MetricDefinitionError(f"metric {d.name!r}: defined twice")
        by_name[d.name] = d
    deps: dict[str, tuple[str, ...]] = {}
    for d in definitions:
        if isinstance(d, Model):
            try:
                deps[d.name] = load_model(d.model, model_dir).features
            except ConfigError as exc:
                raise MetricDefinitionError(f"metric {d.name!r}: field model: {exc}") from None
        else:
            deps[d.name] = d.depends_on()
        if isinstance(d, Formula):
            try:
                formula.check(d.expression, deps[d.name])
            except ValueError as exc:
                raise MetricDefinitionError(f"metric {d.name!r}: field expression: {exc}") from None
        unknown = [n for n in deps[d.name] if n not in by_name]
        if unknown:
            what = "expression" if isinstance(d, Formula) else "model"
            raise MetricDefinitionError(
                f"metric {d.name!r}: field {what}: unknown metric(s) {', '.join(unknown)}"
            )
    out: list[Definition] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name) :], name]
            raise MetricDefinitionError(
                f"metric {name!r}: field expression: cycle {' -> '.join(cycle)}"
            )
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*path, name])
        state[name] = 2
        out.append(by_name[name])

    for d in definitions:
        visit(d.name, [])
    return tuple(out)
