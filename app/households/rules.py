"""Household rules: which shared evidence links profiles, the caps that keep hubs (a block of
flats, a public device) from chaining a town together, and how the decision-maker is chosen.
Defaults here; a YAML file (settings.household_rules_file) overrides any of them."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from app.errors import ConfigError

EVIDENCE_KINDS = ("address", "postcode", "account", "device", "phone", "email")
DECISION_RULES = ("account_holder", "eldest_adult", "highest_spend", "most_records")


@dataclass(frozen=True)
class Evidence:
    """One kind of shared identifier. A value shared by up to max_profiles profiles links
    them all; more than that makes it a hub, ignored (for addresses: only members whose
    surnames agree are linked, up to hub_limit profiles; for postcodes always so)."""

    enabled: bool = True
    max_profiles: int = 8
    hub_limit: int = 0  # address only: surname-supported links up to this many profiles
    confidence: float = 0.8  # the membership confidence this evidence gives


@dataclass(frozen=True)
class Rules:
    address: Evidence = Evidence(max_profiles=8, hub_limit=60, confidence=0.85)
    # Records' postcodes: always surname-supported (max_profiles is not used), up to hub_limit.
    postcode: Evidence = Evidence(max_profiles=2, hub_limit=40, confidence=0.75)
    account: Evidence = Evidence(max_profiles=8, confidence=0.95)
    device: Evidence = Evidence(max_profiles=6, confidence=0.7)
    phone: Evidence = Evidence(max_profiles=6, confidence=0.8)
    email: Evidence = Evidence(max_profiles=4, confidence=0.75)
    surname_similarity: float = 0.8  # difflib ratio of normalised surnames that "agree"
    surname_bonus: float = 0.1  # added to an address link's confidence when surnames agree
    max_household_size: int = 12  # larger groups lose their weakest evidence until they fit
    weakest_first: tuple[str, ...] = ("device", "email", "phone", "postcode", "address", "account")
    # Decision-maker: the first rule that singles out a member wins.
    decision_maker: tuple[str, ...] = ("account_holder", "eldest_adult", "highest_spend")
    holder_roles: tuple[str, ...] = ("owner", "payer")  # HOLDS roles that make an account holder
    adult_age: int = 18
    spend_types: tuple[str, ...] = ("purchase", "pos")  # interaction types that are spend

    def evidence(self, kind: str) -> Evidence:
        value: Evidence = getattr(self, kind)
        return value

    def enabled_kinds(self) -> list[str]:
        return [k for k in EVIDENCE_KINDS if self.evidence(k).enabled]


def _evidence(kind: str, base: Evidence, data: Any) -> Evidence:
    if not isinstance(data, dict):
        raise ConfigError(f"household rules: {kind} must be a mapping, got {data!r}")
    known = {f.name for f in fields(Evidence)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"household rules: {kind}: unknown key(s) {sorted(unknown)}; use {sorted(known)}"
        )
    out = replace(base, **data)
    if out.max_profiles < 2 or out.hub_limit < 0 or not 0 < out.confidence <= 1:
        raise ConfigError(
            f"household rules: {kind}: max_profiles must be >= 2, hub_limit >= 0 and "
            f"confidence in (0, 1]"
        )
    return out


def parse_rules(data: dict[str, Any]) -> Rules:
    """Rules from a mapping (a parsed YAML file); unknown keys and bad values are errors."""
    rules = Rules()
    known = {f.name for f in fields(Rules)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"household rules: unknown key(s) {sorted(unknown)}; use {sorted(known)}")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in EVIDENCE_KINDS:
            changes[key] = _evidence(key, rules.evidence(key), value)
        elif key in ("weakest_first", "decision_maker", "holder_roles", "spend_types"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"household rules: {key} must be a list of names")
            changes[key] = tuple(value)
        else:
            changes[key] = value
    out = replace(rules, **changes)
    bad = [r for r in out.decision_maker if r not in DECISION_RULES]
    if bad:
        raise ConfigError(
            f"household rules: decision_maker: unknown rule(s) {bad}; use {list(DECISION_RULES)}"
        )
    bad = [k for k in out.weakest_first if k not in EVIDENCE_KINDS]
    if bad:
        raise ConfigError(f"household rules: weakest_first: unknown kind(s) {bad}")
    if out.max_household_size < 2 or not 0 < out.surname_similarity <= 1:
        raise ConfigError(
            "household rules: max_household_size must be >= 2 and surname_similarity in (0, 1]"
        )
    return out


def load_rules(path: Path | None) -> Rules:
    if path is None:
        return Rules()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read household rules {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"household rules {path}: expected a mapping at the top")
    return parse_rules(data)
