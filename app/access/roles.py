"""Who may do what: capabilities, the built-in roles as bundles of them, and the signed-in
identity a request carries. The one table every door (GraphQL, exports, pages, CLI) reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from app.errors import ConfigError

# What a role can be given. Reads are by kind of data wherever a query reaches it; PII is a
# capability of its own (without it names, e-mails, phones, addresses, birth dates and
# device IDs are masked); `marketing` makes every read a marketing use, so consent filters it.
CAPABILITIES: dict[str, str] = {
    "read:customers": "source records, their identifiers, accounts, devices, interactions",
    "read:profiles": "resolved profiles, their Customer DNA metrics and consent",
    "read:matches": "match edges, explanations and the review queue",
    "read:households": "households, memberships, Group DNA and the marketing query",
    "read:alerts": "fired alerts and their webhook deliveries",
    "read:definitions": "metric definitions and alert rules",
    "read:audit": "the audit trail: who changed what, when, why, before and after",
    "read:pii": "names, e-mails, phones, addresses, birth dates and device IDs unmasked",
    "export": "the household CSV export",
    "marketing": "every read is a marketing use: contacts only with marketing consent",
    "steward": "confirm, reject, merge and split (and so training labels)",
    "alerts:acknowledge": "acknowledge alerts",
    "consent:write": "record a person's consent statement",
    "records:write": "send records, interactions and account changes (upsertCustomerRecord, "
    "recordInteraction, updateAccount)",
    "define": "define metrics and alert rules",
    "keys": "create, list and revoke API keys",
    "erase": "erase a person",
    "subject-access": "read everything held about any person (subject-access requests)",
    "self": "read one's own data (data playback) and state one's own consent",
}

_READ_ALL = ("read:customers", "read:profiles", "read:matches", "read:households")

# The built-in roles (docs/security.md has the matrix). `source` is ours: a system that sends
# records and events holds neither steward nor admin rights.
DEFAULT_ROLES: dict[str, frozenset[str]] = {
    "support": frozenset(
        (
            "read:customers",
            "read:profiles",
            "read:households",
            "read:alerts",
            "read:pii",
            "alerts:acknowledge",
            "consent:write",
        )
    ),
    "steward": frozenset(
        (*_READ_ALL, "read:alerts", "read:definitions", "read:audit", "read:pii", "steward")
    ),
    "marketer": frozenset(
        ("read:profiles", "read:households", "read:definitions", "export", "marketing")
    ),
    "analyst": frozenset((*_READ_ALL, "read:alerts", "read:definitions", "read:audit", "export")),
    "admin": frozenset(set(CAPABILITIES) - {"marketing", "self"}),
    "self": frozenset(("self",)),
    "source": frozenset(("records:write",)),
}


class UnknownRole(ConfigError):
    """A role name that is neither built in, configured, nor mapped to one."""


@dataclass(frozen=True)
class Roles:
    """The roles in force: the built-in ones, changed or extended by IDGRAPH_ROLES, and the
    identity provider's names for them (IDGRAPH_ROLE_NAMES)."""

    bundles: Mapping[str, frozenset[str]]
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def configured(cls, extra: Mapping[str, Iterable[str]], aliases: Mapping[str, str]) -> Roles:
        bundles = dict(DEFAULT_ROLES)
        for name, caps in extra.items():
            unknown = sorted(set(caps) - set(CAPABILITIES))
            if unknown:
                raise ConfigError(
                    f"IDGRAPH_ROLES: role {name!r} has unknown capabilities {unknown}; "
                    f"use {', '.join(CAPABILITIES)}"
                )
            bundles[name] = frozenset(caps)
        for external, role in aliases.items():
            if role not in bundles:
                raise ConfigError(
                    f"IDGRAPH_ROLE_NAMES maps {external!r} to {role!r}, which is no role; "
                    f"roles are {', '.join(sorted(bundles))}"
                )
        return cls(bundles, dict(aliases))

    def canonical(self, names: Iterable[str]) -> tuple[str, ...]:
        """Our role names for names as given (by a key or an identity provider); names that
        are neither ours nor mapped are left out (a token may carry roles of other apps)."""
        out = []
        for n in names:
            role = self.aliases.get(n, n)
            if role in self.bundles:
                out.append(role)
        return tuple(sorted(set(out)))

    def check(self, names: Iterable[str]) -> tuple[str, ...]:
        """Role names for a new API key: each must be a role (or an alias of one)."""
        names = list(names)
        bad = [n for n in names if self.aliases.get(n, n) not in self.bundles]
        if bad or not names:
            raise UnknownRole(
                f"unknown role(s) {bad}; roles are {', '.join(sorted(self.bundles))}"
                if bad
                else "give at least one role"
            )
        return self.canonical(names)

    def capabilities(self, roles: Iterable[str]) -> frozenset[str]:
        caps: set[str] = set()
        for r in roles:
            caps |= self.bundles.get(r, frozenset())
        return frozenset(caps)


@dataclass(frozen=True)
class Identity:
    """Who makes a request: an API key, a bearer token's user or a session of either."""

    actor: str  # in the audit trail: "key:<name>" for an API key, the token's user otherwise
    roles: tuple[str, ...]
    capabilities: frozenset[str]
    via: str  # key, jwt or session
    key_id: str | None = None  # the API key it stands on (so a revoked key ends its sessions)
    customer_id: str | None = None  # role self: the person's record
    expires_at: int | None = None  # epoch seconds

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def marketing(self) -> bool:
        return "marketing" in self.capabilities

    @property
    def pii(self) -> bool:
        return "read:pii" in self.capabilities

    @property
    def subject(self) -> str:
        """The rate limiter's key: one bucket per key or per user."""
        return f"key:{self.key_id}" if self.key_id else self.actor
