"""Sign-in for every route but /health: API keys and OIDC bearer tokens in the Authorization
header, or the pages' session cookie; per-identity rate limits; the sign-in page and the
session routes. An ASGI middleware, so streamed exports and GraphQL alike pass through it."""

from __future__ import annotations

import html
import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.keys import KeyRefused, key_identity, looks_like_key, verify_key
from app.access.roles import Identity, Roles
from app.access.secret import server_secret
from app.access.tokens import (
    OidcVerifier,
    TokenRefused,
    read_session,
    session_identity,
    session_token,
)
from app.api.errors import (
    FORBIDDEN,
    INTERNAL,
    INTERNAL_MESSAGE,
    RATE_LIMITED,
    STORE_MESSAGE,
    STORE_UNAVAILABLE,
    UNAUTHENTICATED,
    request_error,
)
from app.errors import ConfigError, IdGraphError, StoreError
from app.settings import Settings
from app.store import GraphStore

log = logging.getLogger(__name__)
SESSION_COOKIE = "idgraph_session"
IDENTITY = "idgraph.identity"  # the scope key the signed-in identity travels under
# Routes anyone may reach: the probe, and the way in.
PUBLIC = ("/health", "/auth/sign-in", "/auth/session", "/auth/sign-out")


class Bucket:
    """A token bucket: `rate` per minute, up to `burst` at once."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Limiter:
    """Buckets by key (an identity, a client address), in this process (docs/security.md:
    several replicas each allow the limit)."""

    def __init__(self, per_minute: int, burst: int, max_keys: int = 100_000) -> None:
        self.per_minute, self.burst, self.max_keys = per_minute, burst, max_keys
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._buckets.clear()  # a flood of new keys: start over, never grow unbounded
                bucket = self._buckets[key] = Bucket(self.per_minute, self.burst)
            return bucket.take()


@dataclass
class AccessControl:
    """What the sign-in needs, built once per app (roles are checked at start-up)."""

    settings: Settings
    roles: Roles = field(init=False)
    oidc: OidcVerifier = field(init=False)
    requests: Limiter = field(init=False)
    failures: Limiter = field(init=False)
    _secret: bytes | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.roles = Roles.configured(s.roles, s.role_names)
        self.oidc = OidcVerifier(s, self.roles)
        self.requests = Limiter(s.rate_limit_per_minute, s.rate_limit_burst)
        self.failures = Limiter(s.failed_sign_ins_per_minute, s.failed_sign_ins_per_minute)

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = server_secret(self.settings)
        return self._secret

    def bearer(self, store: GraphStore, token: str) -> Identity:
        """A key or an identity provider's token (blocking: reads the store or the JWKS)."""
        if looks_like_key(token):
            return verify_key(store, self.roles, token)
        return self.oidc.verify(token)

    def session(self, store: GraphStore, cookie: str) -> Identity:
        claims = read_session(cookie, self.secret)
        if claims.get("kid"):  # a key's session ends with the key
            identity = key_identity(store, self.roles, str(claims["kid"]))
            return Identity(
                identity.actor,
                identity.roles,
                identity.capabilities,
                "session",
                identity.key_id,
                identity.customer_id,
                int(claims["exp"]),
            )
        return session_identity(claims, self.roles)


class NotSignedIn(IdGraphError):
    pass


def _bearer_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authenticate(request: Request, access: AccessControl, store: GraphStore) -> Identity:
    token = _bearer_of(request)
    if token is not None:
        return await run_in_threadpool(access.bearer, store, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await run_in_threadpool(access.session, store, cookie)
    raise NotSignedIn(
        "sign in: send 'Authorization: Bearer <API key or identity provider token>', "
        "or use the session cookie from /auth/sign-in"
    )


def identity_of(request: Request) -> Identity:
    """The signed-in identity (the middleware put it there; public routes have none)."""
    identity = request.scope.get(IDENTITY)
    if not isinstance(identity, Identity):
        raise RuntimeError("no signed-in identity on this request")
    return identity


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def wants_html(request: Request) -> bool:
    from app.api.endpoint import prefers_html  # endpoint.py imports this module

    return request.method == "GET" and prefers_html(request.headers.get("accept", ""))


def problem(
    message: str, code: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"errors": [request_error(message, code)]}, status, headers=headers)


def forbidden(identity: Identity, what: str) -> Response:
    roles = ", ".join(identity.roles) or "none"
    return problem(f"{what} is not allowed for your roles ({roles})", FORBIDDEN, 403)


class AccessMiddleware:
    """Every request but PUBLIC ones signs in (401 otherwise; a browser is sent to the sign-in
    page), then takes a token from its identity's bucket (429 with Retry-After when empty)."""

    def __init__(self, app: ASGIApp, access: AccessControl) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in PUBLIC:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self._sign_in(request, scope)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _sign_in(self, request: Request, scope: MutableMapping[str, Any]) -> Response | None:
        access = self.access
        client = _client(request)
        try:
            identity = await authenticate(request, access, request.app.state.store)
        except NotSignedIn as exc:
            if wants_html(request):
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/auth/sign-in?next={target}", status_code=303)
            return problem(
                str(exc), UNAUTHENTICATED, 401, {"WWW-Authenticate": 'Bearer realm="idgraph"'}
            )
        except StoreError:
            log.exception("sign-in could not read the store")
            return problem(STORE_MESSAGE, STORE_UNAVAILABLE, 503)
        except ConfigError:
            log.exception("sign-in could not check a token")
            return problem(INTERNAL_MESSAGE, INTERNAL, 500)
        except (KeyRefused, TokenRefused) as exc:
            wait = access.failures.wait(client)
            if wait:
                return _too_many(wait, "too many refused sign-ins from this address")
            return problem(
                f"not signed in: {exc}",
                UNAUTHENTICATED,
                401,
                {"WWW-Authenticate": 'Bearer realm="idgraph", error="invalid_token"'},
            )
        wait = access.requests.wait(identity.subject)
        if wait:
            return _too_many(
                wait,
                f"rate limit of {access.settings.rate_limit_per_minute} requests a minute reached",
            )
        scope[IDENTITY] = identity
        return None


def _too_many(wait: float, message: str) -> Response:
    seconds = max(1, math.ceil(wait))
    return problem(
        f"{message}; retry in {seconds} s", RATE_LIMITED, 429, {"Retry-After": str(seconds)}
    )


# -- the pages' way in ----------------------------------------------------------------------


def _safe_next(raw: str | None) -> str:
    """Only a path on this server (no scheme, no //host): no open redirect."""
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/graphql"


def _set_session(response: Response, access: AccessControl, identity: Identity) -> None:
    s = access.settings
    response.set_cookie(
        SESSION_COOKIE,
        session_token(identity, access.secret, s.session_ttl_s),
        max_age=s.session_ttl_s,
        path="/",
        secure=s.session_cookie_secure,
        httponly=True,
        samesite=s.session_cookie_samesite,
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · identity-graph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
input{{width:100%;padding:.5rem;font:inherit}}
button{{margin-top:1rem;padding:.5rem 1rem;font:inherit}}
.error{{color:#a00}}</style></head>
<body><h1>Sign in</h1>{error}
<form method="post" action="/auth/sign-in">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="off" required placeholder="idg_…">
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form>
<p>Signed in, you get a session cookie for {minutes} minutes. Users of the identity provider
sign in with its token: <code>POST /auth/session</code> with <code>Authorization: Bearer</code>.</p>
</body></html>"""


def _page(access: AccessControl, next_path: str, error: str = "", status: int = 200) -> Response:
    body = _PAGE.format(
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        next=html.escape(next_path, quote=True),
        minutes=access.settings.session_ttl_s // 60,
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def auth_routes(
    access: AccessControl,
) -> list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]]:
    async def sign_in_page(request: Request) -> Response:
        return _page(access, _safe_next(request.query_params.get("next")))

    async def sign_in(request: Request) -> Response:
        # A plain urlencoded form, read without python-multipart.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = (form.get("key") or [""])[0]
        next_path = _safe_next((form.get("next") or [""])[0])
        client = _client(request)
        try:
            identity = await run_in_threadpool(
                verify_key, request.app.state.store, access.roles, key
            )
        except KeyRefused as exc:
            wait = access.failures.wait(client)
            if wait:
                return _too_many(wait, "too many refused sign-ins from this address")
            return _page(access, next_path, f"Not signed in: {exc}.", 401)
        response = RedirectResponse(next_path, status_code=303)
        _set_session(response, access, identity)
        return response

    async def session(request: Request) -> Response:
        token = _bearer_of(request)
        if token is None:
            return problem("send 'Authorization: Bearer <key or token>'", UNAUTHENTICATED, 401)
        try:
            identity = await run_in_threadpool(access.bearer, request.app.state.store, token)
        except (KeyRefused, TokenRefused) as exc:
            wait = access.failures.wait(_client(request))
            if wait:
                return _too_many(wait, "too many refused sign-ins from this address")
            return problem(f"not signed in: {exc}", UNAUTHENTICATED, 401)
        body = {"actor": identity.actor, "roles": list(identity.roles)}
        response = Response(json.dumps(body), media_type="application/json")
        _set_session(response, access, identity)
        return response

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse("/auth/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return [
        ("/auth/sign-in", sign_in_page, ["GET"]),
        ("/auth/sign-in", sign_in, ["POST"]),
        ("/auth/session", session, ["POST"]),
        ("/auth/sign-out", sign_out, ["POST"]),
    ]
