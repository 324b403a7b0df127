"""Bearer tokens from the company's identity provider (OIDC JWTs, verified with PyJWT against
the provider's JWKS) and the pages' session cookies (short-lived JWTs we sign ourselves)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import jwt

from app.access.roles import Identity, Roles
from app.errors import ConfigError, IdGraphError
from app.settings import Settings

SESSION_TYPE = "idgraph-session"
_SESSION_ALG = "HS256"


class TokenRefused(IdGraphError):
    """A bearer token or session that is malformed, wrongly signed, expired or not for us."""


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by dotted path (realm_access.roles), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def role_names(value: Any) -> list[str]:
    """Roles as a claim holds them: a list, or a space- or comma-separated string."""
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str)]
    return []


class OidcVerifier:
    """Checks bearer JWTs: signature by a key of the provider's JWKS (URL or file), issuer,
    audience, expiry (with leeway). Keys fetched from a URL are cached; a token naming an
    unknown key id makes PyJWT's client fetch the set again (key rotation)."""

    def __init__(self, settings: Settings, roles: Roles) -> None:
        self.settings = settings
        self.roles = roles
        self._client: jwt.PyJWKClient | None = None
        self._file_keys: jwt.PyJWKSet | None = None
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.oidc_issuer and s.oidc_audience and (s.oidc_jwks_url or s.oidc_jwks_file))

    def _signing_key(self, token: str) -> Any:
        s = self.settings
        try:
            if s.oidc_jwks_file is not None:
                with self._lock:
                    if self._file_keys is None:
                        data = json.loads(s.oidc_jwks_file.read_text(encoding="utf-8"))
                        self._file_keys = jwt.PyJWKSet.from_dict(data)
                kid = jwt.get_unverified_header(token).get("kid")
                keys = self._file_keys.keys
                found = [k for k in keys if kid is None or k.key_id == kid]
                if not found:
                    raise TokenRefused("the token's key id is not in the identity provider's keys")
                return found[0].key
            with self._lock:
                if self._client is None:
                    self._client = jwt.PyJWKClient(
                        str(s.oidc_jwks_url), cache_keys=True, lifespan=3600, timeout=5
                    )
            return self._client.get_signing_key_from_jwt(token).key
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the identity provider's keys: {exc}") from exc
        except jwt.PyJWKClientError as exc:
            raise TokenRefused(f"no key of the identity provider verifies it ({exc})") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"not a JWT ({exc})") from exc

    def verify(self, token: str) -> Identity:
        if not self.configured:
            raise TokenRefused("bearer tokens are not accepted: no identity provider configured")
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=list(s.oidc_algorithms),
                audience=s.oidc_audience,
                issuer=s.oidc_issuer,
                leeway=s.oidc_leeway_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("the token has expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenRefused("the token's signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"the token is not valid here: {exc}") from exc
        actor = claim(claims, s.oidc_actor_claim) or claims.get("sub")
        if not isinstance(actor, str) or not actor.strip() or len(actor) > 200:
            raise TokenRefused(f"the token has no usable {s.oidc_actor_claim!r} claim")
        roles = self.roles.canonical(role_names(claim(claims, s.oidc_roles_claim)))
        customer = claim(claims, s.oidc_customer_claim)
        return Identity(
            actor=actor.strip(),
            roles=roles,
            capabilities=self.roles.capabilities(roles),
            via="jwt",
            customer_id=customer if isinstance(customer, str) and customer else None,
            expires_at=int(claims["exp"]),
        )


def session_token(identity: Identity, secret: bytes, ttl_s: int, now: float | None = None) -> str:
    """A session cookie's value for an identity: ours, signed, expiring at ttl_s or the
    identity's own expiry, whichever comes first."""
    start = int(time.time() if now is None else now)
    expires = start + ttl_s
    if identity.expires_at is not None:
        expires = min(expires, identity.expires_at)
    body = {
        "typ": SESSION_TYPE,
        "sub": identity.actor,
        "roles": list(identity.roles),
        "via": identity.via,
        "kid": identity.key_id,
        "cust": identity.customer_id,
        "iat": start,
        "exp": expires,
    }
    return jwt.encode(body, secret, algorithm=_SESSION_ALG)


def read_session(token: str, secret: bytes) -> dict[str, Any]:
    """A session cookie's claims, or TokenRefused (forged, expired, not a session)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[_SESSION_ALG])
    except jwt.ExpiredSignatureError as exc:
        raise TokenRefused("the session has expired; sign in again") from exc
    except jwt.PyJWTError as exc:
        raise TokenRefused("the session cookie is not valid; sign in again") from exc
    if claims.get("typ") != SESSION_TYPE:
        raise TokenRefused("the session cookie is not valid; sign in again")
    return claims


def session_identity(claims: Mapping[str, Any], roles: Roles) -> Identity:
    """A bearer-token session's identity (a key's session is read from the key again)."""
    names = roles.canonical(role_names(claims.get("roles")))
    return Identity(
        actor=str(claims["sub"]),
        roles=names,
        capabilities=roles.capabilities(names),
        via="session",
        customer_id=claims.get("cust"),
        expires_at=int(claims["exp"]),
    )
