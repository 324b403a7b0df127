"""The frame of the people's pages, shared by app/api/ui.py and app/api/desk_pages.py:
templates, a GraphQL document run for the signed-in identity, rendering with the navigation
its role may see, the guarded route, and the parsing of query-string values. (The playback
pages are app/api/pages.py.)"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app.access import policy
from app.access.roles import Identity
from app.api.auth import forbidden, identity_of
from app.api.endpoint import GraphQLEndpoint
from app.errors import InputError

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
Handler = Callable[[Request], Awaitable[Response]]
MAX_FORM_BYTES = 64 * 1024


class PageError(Exception):
    """A GraphQL answer with errors: shown on the page in words."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def run(request: Request, query: str, **variables: Any) -> dict[str, Any]:
    """The data of one GraphQL document, run as /graphql runs it for this identity."""
    endpoint: GraphQLEndpoint = request.app.state.graphql
    response = await endpoint.execute(request, query, variables)
    body = json.loads(bytes(response.body))
    if body.get("errors"):
        message = "; ".join(str(e.get("message")) for e in body["errors"])
        raise PageError(message, response.status_code if response.status_code >= 400 else 400)
    data: dict[str, Any] = body.get("data") or {}
    return data


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    identity = identity_of(request)
    page = _env.get_template(template).render(
        identity=identity, can=lambda cap: identity.can(cap), nav=_nav(identity), **context
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _nav(identity: Identity) -> list[tuple[str, str]]:
    links = [
        ("/ui", "Search", "read:profiles"),
        ("/ui/desk", "Steward desk", "steward"),
        ("/ui/segments", "Segments", "read:households"),
    ]
    return [(href, label) for href, label, cap in links if identity.can(cap)]


def page(route: str, method: str = "GET") -> Callable[[Handler], Route]:
    """A page route, refused (403) to identities without its capability in the policy."""

    def wrap(handler: Handler) -> Route:
        async def guarded(request: Request) -> Response:
            identity = identity_of(request)
            if not policy.allowed(identity, policy.ROUTE_CAPABILITY[route]):
                return forbidden(identity, f"{method} {route}")
            try:
                return await handler(request)
            except (PageError, InputError) as exc:
                status = getattr(exc, "status", 400)
                return render(request, "error.html", status=status, message=str(exc))

        return Route(route, guarded, methods=[method])

    return wrap


RECORD = "id source sourceKey firstName lastName dateOfBirth gender updatedAt"


def number(raw: str | None) -> float | None:
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"{raw!r} is not a number") from None


def text_list(raw: str | None) -> list[str] | None:
    items = [x.strip() for x in (raw or "").split(",") if x.strip()]
    return items or None
