"""Server-rendered pages on the access layer: data playback for the signed-in person (`/me`,
`/me.json`) and for a subject-access request (`/subject-access/<profileId>` and `.json`).
Each checks its capability in app/access/policy.py and audits the read as GraphQL does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.access import policy
from app.api.auth import forbidden, identity_of, problem
from app.api.errors import BAD_USER_INPUT
from app.audit import READ_PII
from app.audit import record as audit
from app.errors import InputError
from app.privacy.playback import page, playback, profile_of_customer

Handler = Callable[[Request], Awaitable[Response]]


def _document(request: Request, profile_id: str | None) -> dict[str, Any]:
    """The playback document (blocking): the signed-in person's own, or profile_id's."""
    identity = identity_of(request)
    store, settings = request.app.state.store, request.app.state.settings
    if profile_id is None:
        if not identity.customer_id:
            raise InputError("your identity names no customer record (role self needs one)")
        profile_id = profile_of_customer(store, identity.customer_id)
    doc = playback(store, settings, profile_id)
    pid = doc["profile"]["profileId"]
    after = {"fields": ["all"], "profiles": [pid]}
    audit(store, identity.actor, READ_PII, "", None, after, [], [pid])
    return doc


def _route(route: str, as_json: bool, own: bool) -> Handler:
    async def handle(request: Request) -> Response:
        identity = identity_of(request)
        if not policy.allowed(identity, policy.ROUTE_CAPABILITY[route]):
            return forbidden(identity, f"GET {route}")
        profile_id = None if own else request.path_params["profile_id"]
        try:
            doc = await run_in_threadpool(_document, request, profile_id)
        except InputError as exc:
            return problem(str(exc), BAD_USER_INPUT, 404)
        headers = {"Cache-Control": "no-store"}
        if as_json:
            name = f"{doc['profile']['profileId']}.json"
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return JSONResponse(doc, headers=headers)
        json_url = "/me.json" if own else f"/subject-access/{doc['profile']['profileId']}.json"
        return HTMLResponse(page(doc, json_url), headers=headers)

    return handle


def page_routes() -> list[Route]:
    return [
        Route("/me", _route("/me", False, True), methods=["GET"]),
        Route("/me.json", _route("/me.json", True, True), methods=["GET"]),
        Route(
            "/subject-access/{profile_id}.json",
            _route("/subject-access/{profile_id}.json", True, False),
            methods=["GET"],
        ),
        Route(
            "/subject-access/{profile_id}",
            _route("/subject-access/{profile_id}", False, False),
            methods=["GET"],
        ),
    ]
