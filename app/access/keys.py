"""API keys for services: `idg_<keyId>.<secret>`, stored as the SHA-256 of the secret (an
ApiKey node), each with roles and an expiry; created, listed and revoked with `idgraph keys`.

The secret is 256 random bits, so a fast hash is enough: nobody can guess their way back
from it (password hashing's slowness protects low-entropy secrets, which these are not)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from app.access.roles import Identity, Roles
from app.errors import IdGraphError, InputError
from app.store import GraphStore

PREFIX = "idg_"
_KEY = re.compile(r"^idg_([0-9a-f]{12})\.([A-Za-z0-9_-]{20,100})$")
LOCAL_ADMIN = "local-admin"


class KeyRefused(IdGraphError):
    """A presented key that is malformed, unknown, revoked or expired; the message says which
    (never whether another key exists)."""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    roles: tuple[str, ...]
    created_at: str | None
    created_by: str | None
    expires_at: str | None
    revoked_at: str | None
    customer_id: str | None = None
    secret: str | None = None  # only right after creation: shown once, never stored

    @property
    def token(self) -> str:
        if self.secret is None:
            raise ValueError("a stored key's secret is not kept")
        return f"{PREFIX}{self.key_id}.{self.secret}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def create_key(
    store: GraphStore,
    roles_in_force: Roles,
    name: str,
    roles: list[str],
    days: float,
    created_by: str,
    customer_id: str | None = None,
    now: float | None = None,
) -> ApiKey:
    """A new key; its token (ApiKey.token) can be shown this once."""
    name = name.strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise InputError("a key needs a name of 1 to 100 printable characters")
    if days <= 0:
        raise InputError(f"a key must expire in a positive number of days, not {days}")
    canonical = roles_in_force.check(roles)
    if "self" in canonical and not customer_id:
        raise InputError("a key with the role self needs the person's customerId (--customer)")
    start = time.time() if now is None else now
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = start + days * 86400
    store.write(
        "access_key_create",
        keyId=key_id,
        keyName=name,
        roles=list(canonical),
        hash=_digest(secret),
        createdAt=_iso(start),
        createdBy=created_by,
        expiresAt=_iso(expires),
        expiresAtS=int(expires),
        customerId=customer_id,
    )
    return ApiKey(
        key_id, name, canonical, _iso(start), created_by, _iso(expires), None, customer_id, secret
    )


def list_keys(store: GraphStore) -> list[ApiKey]:
    return [
        ApiKey(
            str(r["keyId"]),
            str(r["name"]),
            tuple(r["roles"] or ()),
            r["createdAt"],
            r["createdBy"],
            r["expiresAt"],
            r["revokedAt"],
            r["customerId"],
        )
        for r in store.read("access_keys_list")
    ]


def revoke_key(store: GraphStore, key_id: str, by: str, now: float | None = None) -> bool:
    """True when the key exists (revoked now or before)."""
    rows, _ = store.run_text(
        store.cypher("access_key_revoke"),
        {"keyId": key_id, "at": _iso(time.time() if now is None else now), "by": by},
        write=True,
    )
    return bool(rows)


def key_identity(
    store: GraphStore, roles_in_force: Roles, key_id: str, now: float | None = None
) -> Identity:
    """The identity of a stored key that is neither revoked nor expired."""
    row = store.read_one("access_key_get", keyId=key_id)
    return _identity(row, roles_in_force, time.time() if now is None else now)


def verify_key(
    store: GraphStore, roles_in_force: Roles, token: str, now: float | None = None
) -> Identity:
    """The identity of a presented key, or KeyRefused."""
    m = _KEY.match(token.strip())
    if m is None:
        raise KeyRefused("not an API key (idg_<id>.<secret>)")
    key_id, secret = m.groups()
    row = store.read_one("access_key_get", keyId=key_id)
    if row is None or not hmac.compare_digest(str(row["hash"]), _digest(secret)):
        raise KeyRefused("unknown API key")
    return _identity(row, roles_in_force, time.time() if now is None else now)


def _identity(row: dict[str, object] | None, roles_in_force: Roles, now: float) -> Identity:
    if row is None:
        raise KeyRefused("unknown API key")
    if row.get("revokedAt"):
        raise KeyRefused(f"API key {row['keyId']} was revoked")
    expires = row.get("expiresAtS")
    if not isinstance(expires, int | float) or expires <= now:
        raise KeyRefused(f"API key {row['keyId']} has expired")
    roles = roles_in_force.canonical(str(r) for r in row.get("roles") or [])  # type: ignore[attr-defined]
    return Identity(
        actor=f"key:{row['name']}",
        roles=roles,
        capabilities=roles_in_force.capabilities(roles),
        via="key",
        key_id=str(row["keyId"]),
        customer_id=None if row.get("customerId") is None else str(row["customerId"]),
        expires_at=int(expires),
    )


def ensure_admin_key(
    store: GraphStore, roles_in_force: Roles, days: float, now: float | None = None
) -> ApiKey | None:
    """On first start: a local admin key when no usable admin key exists; None otherwise."""
    start = time.time() if now is None else now
    row = store.read_one("access_active_admin_keys", now=int(start))
    if row is not None and int(row["n"]) > 0:
        return None
    return create_key(
        store, roles_in_force, LOCAL_ADMIN, ["admin"], days, "idgraph serve", None, start
    )
