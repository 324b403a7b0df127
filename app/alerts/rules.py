"""Alert rules: what to watch (a metric on Profiles or Households), when to fire, for whom,
how often, where to send it. Validated as pydantic models from YAML or GraphQL; a bad rule is
refused with the rule's name, the field and the reason."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.errors import InputError
from app.store.base import IDENTIFIER

Label = Literal["Profile", "Household"]
Condition = Literal["above", "below", "crosses", "change_pct"]
Direction = Literal["up", "down", "any"]
Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in"]
Scalar = float | int | str | bool

LABELS: tuple[Label, ...] = ("Profile", "Household")
KEY_OF_LABEL: dict[str, str] = {"Profile": "profileId", "Household": "householdId"}
METRIC_PREFIX = "dna_"  # metrics are node properties with this prefix (app/metrics)
RULE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_COOLDOWN_S = 86400
MAX_PERIODS = 36
STARTER_RULES = "rules.yaml"  # package data beside this module


class AlertRuleError(InputError):
    """A rule (or a rules file) that cannot be used; the message names rule, field, reason."""


def parse_duration(value: object) -> int:
    """Seconds from 3600, "90s", "15m", "2h" or "7d"."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like 90s, 15m, 2h, 7d")
    if isinstance(value, int | float):
        if value < 0 or not math.isfinite(value):
            raise ValueError("a duration cannot be negative")
        return int(value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return int(m.group(1)) * _UNIT_S[m.group(2)]
    raise ValueError(f"{value!r} is not a duration: seconds, or text like 90s, 15m, 2h, 7d")


class Filter(BaseModel):
    """One comparison on an entity property: `dna_segment eq gold`, `dna_tenure_days ge 365`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    property: str
    op: Op = "eq"
    value: Scalar | tuple[Scalar, ...]

    @field_validator("property")
    @classmethod
    def _property(cls, v: str) -> str:
        if not IDENTIFIER.match(v):
            raise ValueError(f"{v!r} is not a property name (letters, digits, _; max 64)")
        return v

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if (self.op == "in") != isinstance(self.value, tuple):
            raise ValueError(
                "op 'in' takes a list of values; every other op takes one value"
                if self.op == "in"
                else f"op {self.op!r} takes one value, not a list"
            )
        return self


class Scope(BaseModel):
    """Which entities a rule watches: one entity, those matching every filter, or (neither
    given) every entity of the rule's label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str | None = None
    where: tuple[Filter, ...] = ()

    @field_validator("where", mode="before")
    @classmethod
    def _where(cls, v: object) -> object:
        # {"dna_segment": "gold"} is short for [{property: dna_segment, op: eq, value: gold}]
        if isinstance(v, Mapping):
            return [{"property": k, "op": "eq", "value": x} for k, x in v.items()]
        return v

    @field_validator("entity")
    @classmethod
    def _entity(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("entity is empty; give the profileId or householdId")
        return v.strip() if v is not None else None

    @model_validator(mode="after")
    def _one_kind(self) -> Scope:
        if self.entity is not None and self.where:
            raise ValueError("give entity (one entity) or where (a collection), not both")
        return self

    @property
    def kind(self) -> Literal["entity", "collection", "label"]:
        return "entity" if self.entity else "collection" if self.where else "label"


class AlertRule(BaseModel):
    """One rule. YAML and GraphQL spell the fields the same; `for` is the number of
    consecutive periods (history values) that must all meet an above/below condition."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    metric: str = Field(description="metric name without the dna_ prefix")
    label: Label = "Profile"
    condition: Condition
    threshold: float
    direction: Direction = "any"
    periods: int = Field(default=1, ge=1, le=MAX_PERIODS, alias="for")
    scope: Scope = Scope()
    cooldown: int = Field(default=DEFAULT_COOLDOWN_S, description="seconds")
    webhooks: tuple[str, ...] | None = None  # None: every configured webhook
    message: str = Field(default="", max_length=500)
    identity_changes: bool = Field(
        default=False,
        alias="identityChanges",
        description="also fire on changes caused by identity (records joining or leaving the "
        "entity: real-time placement, merges, splits, steward decisions)",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not RULE_NAME.match(v):
            raise ValueError(
                f"{v!r} is not a rule name: lower case letters, digits, - and _, "
                "starting with a letter, at most 64"
            )
        return v

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v.startswith(METRIC_PREFIX):
            raise ValueError(f"name the metric without the {METRIC_PREFIX} prefix: {v[4:]!r}")
        if not METRIC_NAME.match(v):
            raise ValueError(f"{v!r} is not a metric name (letters, digits, _; max 60)")
        return v

    @field_validator("threshold")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("the threshold must be a finite number")
        return v

    @field_validator("cooldown", mode="before")
    @classmethod
    def _cooldown(cls, v: object) -> int:
        return parse_duration(v)

    @model_validator(mode="after")
    def _consistent(self) -> AlertRule:
        if self.periods > 1 and self.condition not in ("above", "below"):
            raise ValueError(
                f"'for' (consecutive periods) needs above or below, not {self.condition}"
            )
        if self.direction != "any" and self.condition not in ("crosses", "change_pct"):
            raise ValueError(f"direction applies to crosses and change_pct, not {self.condition}")
        if self.condition == "change_pct" and self.threshold <= 0:
            raise ValueError(
                "change_pct needs a threshold above 0 (per cent of the previous value)"
            )
        return self

    @property
    def property_name(self) -> str:
        return METRIC_PREFIX + self.metric

    def definition(self) -> dict[str, Any]:
        """The rule as YAML/GraphQL input would spell it (round-trips through parse_rule)."""
        return self.model_dump(by_alias=True, mode="json", exclude_none=True)


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(p) for p in error.get("loc", ())) or "rule"
    msg = str(error.get("msg", "invalid"))
    return f"{where}: {msg.removeprefix('Value error, ')}"


def parse_rule(data: object, webhooks: Iterable[str] | None = None, where: str = "") -> AlertRule:
    """Validate one rule. With `webhooks` (the configured names), a rule naming another is
    refused. Raises AlertRuleError naming the rule and every bad field."""
    name = data.get("name") if isinstance(data, Mapping) else None
    label = f"{where}rule {name!r}" if name else f"{where}rule"
    if not isinstance(data, Mapping):
        raise AlertRuleError(f"{label}: a rule is a mapping of fields, not {type(data).__name__}")
    try:
        rule = AlertRule.model_validate(dict(data))
    except ValidationError as exc:
        reasons = "; ".join(_describe(e) for e in exc.errors())
        raise AlertRuleError(f"{label}: {reasons}") from None
    if webhooks is not None and rule.webhooks:
        known = set(webhooks)
        unknown = [w for w in rule.webhooks if w not in known]
        if unknown:
            have = ", ".join(sorted(known)) or "none (set IDGRAPH_WEBHOOKS)"
            raise AlertRuleError(
                f"{label}: webhooks: {', '.join(unknown)} not configured; configured: {have}"
            )
    return rule


def parse_rules(text: str, source: str, webhooks: Iterable[str] | None = None) -> list[AlertRule]:
    """Every rule of a YAML document `rules: [...]`; all problems reported at once."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AlertRuleError(f"{source}: not valid YAML: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, Mapping) or set(doc) - {"rules"}:
        raise AlertRuleError(f"{source}: expected a mapping with one key, rules: [ ... ]")
    items = doc.get("rules") or []
    if not isinstance(items, list):
        raise AlertRuleError(f"{source}: rules must be a list")
    known = list(webhooks) if webhooks is not None else None
    rules: list[AlertRule] = []
    problems: list[str] = []
    for i, item in enumerate(items, start=1):
        try:
            rules.append(parse_rule(item, known, where=f"#{i} "))
        except AlertRuleError as exc:
            problems.append(str(exc))
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            problems.append(f"rule {rule.name!r}: name: defined twice")
        seen.add(rule.name)
    if problems:
        raise AlertRuleError(f"{source}: " + "\n  ".join(["bad alert rules:", *problems]))
    return rules


def starter_rules_text() -> str:
    return resources.files("app.alerts").joinpath(STARTER_RULES).read_text(encoding="utf-8")


def load_rules_file(path: Path | None, webhooks: Iterable[str] | None = None) -> list[AlertRule]:
    """The rules of a YAML file, or the shipped starter rules when path is None."""
    if path is None:
        return parse_rules(starter_rules_text(), f"starter rules ({STARTER_RULES})", webhooks)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AlertRuleError(f"cannot read alert rules file {path}: {exc.strerror}") from None
    return parse_rules(text, str(path), webhooks)


Origin = Literal["file", "graphql"]


@dataclass(frozen=True)
class RuleSet:
    """The running rules, indexed by (label, metric) so a change costs one dict lookup."""

    rules: tuple[AlertRule, ...] = ()
    origin: Mapping[str, Origin] = field(default_factory=dict)
    by_metric: Mapping[tuple[str, str], tuple[AlertRule, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, file_rules: Sequence[AlertRule], defined: Sequence[AlertRule]) -> RuleSet:
        origin: dict[str, Origin] = {r.name: "file" for r in file_rules}
        rules = list(file_rules)
        for rule in defined:  # a name the file holds stays the file's (define refuses it)
            if rule.name not in origin:
                origin[rule.name] = "graphql"
                rules.append(rule)
        index: dict[tuple[str, str], list[AlertRule]] = {}
        for rule in rules:
            index.setdefault((rule.label, rule.metric), []).append(rule)
        return cls(tuple(rules), origin, {k: tuple(v) for k, v in index.items()})

    def get(self, name: str) -> AlertRule | None:
        return next((r for r in self.rules if r.name == name), None)
