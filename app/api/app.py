"""The web app: Starlette routes for GraphQL, health, the export, sign-in and the pages, and
GraphiQL's files; sign-in (app/api/auth.py) in front of all but /health; the store's lifespan.

Serve with `uvicorn.run(create_app(settings), host=settings.host, port=settings.port)`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app.alerts.delivery import start_delivery_worker
from app.api.auth import AccessControl, AccessMiddleware, auth_routes, identity_of
from app.api.endpoint import GraphQLEndpoint, prefers_html, thread_switch
from app.api.errors import (
    BAD_REQUEST,
    INTERNAL,
    INTERNAL_MESSAGE,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    request_error,
)
from app.api.graphiql import STATIC_DIR
from app.api.households import export_households
from app.api.pages import page_routes
from app.api.ui import ui_routes
from app.privacy.quarantine import purge_expired
from app.settings import Settings, get_settings
from app.store import GraphStore, open_store

StoreFactory = Callable[[Settings], GraphStore]
log = logging.getLogger(__name__)

# A store that is down can take seconds to say so (client retries); probes want an answer
# sooner. The ping goes on in its worker thread and its late answer is dropped.
HEALTH_TIMEOUT_S = 2.0


# The probe's own worker threads: requests that fill the shared pool do not make it wait.
_HEALTH_THREADS = anyio.CapacityLimiter(4)


async def health(request: Request) -> Response:
    """Liveness plus readiness: 200 when the store answers, 503 when it does not."""
    store: GraphStore = request.app.state.store
    ready = False
    with anyio.move_on_after(HEALTH_TIMEOUT_S):
        ready = await anyio.to_thread.run_sync(
            store.ping, abandon_on_cancel=True, limiter=_HEALTH_THREADS
        )
    body: dict[str, object] = {
        "status": "ok" if ready else "unavailable",
        "store": {"backend": store.backend, "ready": ready},
    }
    restarted = store.supervision()
    if restarted:  # the embedded store's process died and was started again
        body["store"] = {**body["store"], "supervision": restarted}  # type: ignore[dict-item]
    return JSONResponse(body, status_code=200 if ready else 503)


class StoreWatch:
    """Notices an embedded store whose process died and starts it again within
    `interval_s`, whether or not a request comes (GraphStore.revive; docs/robustness.md)."""

    def __init__(self, store: GraphStore, interval_s: float) -> None:
        self._store, self._interval = store, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-watch", daemon=True)

    def start(self) -> StoreWatch:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._store.revive()
            except Exception:  # keep watching: the next round may succeed
                log.exception("could not restart the store")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


QUARANTINE_PURGE_S = 3600.0


class QuarantinePurger:
    """Quarantine lines past their retention lose their raw values: now, then hourly (a
    daemon thread, like the webhook worker)."""

    def __init__(self, settings: Settings) -> None:
        self._stop = threading.Event()
        self._settings = settings
        self._thread = threading.Thread(target=self._run, name="quarantine-purge", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                purge_expired(self._settings)
            except OSError:
                log.exception("could not purge expired quarantine lines")
            self._stop.wait(QUARANTINE_PURGE_S)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


async def home(request: Request) -> Response:
    """A browser goes to the pages (app/api/ui.py), an API client to GraphQL."""
    if prefers_html(request.headers.get("accept", "")):
        identity = identity_of(request)
        own = identity.can("self") and not identity.can("read:profiles")
        return RedirectResponse("/me" if own else "/ui", status_code=307)
    return RedirectResponse(request.url_for("graphql").path, status_code=307)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no route, wrong method) as JSON with a code."""
    assert isinstance(exc, HTTPException)
    code = {404: NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, BAD_REQUEST)
    return JSONResponse(
        {"errors": [request_error(str(exc.detail), code)]},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its trace, answered without it."""
    log.error("request to %s failed", request.url.path, exc_info=exc)
    return JSONResponse({"errors": [request_error(INTERNAL_MESSAGE, INTERNAL)]}, status_code=500)


def create_app(
    settings: Settings | None = None, store_factory: StoreFactory = open_store
) -> Starlette:
    """The ASGI app. The store is opened when the server starts and closed when it stops."""
    settings = settings or get_settings()
    access = AccessControl(settings)  # checks the configured roles now

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = await run_in_threadpool(store_factory, settings)
        # A bulk stage closing beside this server settles the store for real time. First,
        # while no other thread of this process uses the store's connections.
        await run_in_threadpool(store.mark_serving)
        worker = None  # webhook delivery (docs/alerts.md)
        watch = StoreWatch(store, settings.store_watch_s).start()
        try:
            # Idempotent. Gives the lookups their indexes, and on embedded FalkorDB creates
            # the graph: before its first write, reads (and the health ping) on it fail.
            await run_in_threadpool(store.setup_schema)
            app.state.settings = settings
            app.state.store = store
            app.state.access = access
            await run_in_threadpool(lambda: access.secret)  # made on first start
            # Steward changes read then write; they take turns (see app/api/stewards.py).
            app.state.write_lock = anyio.Lock()
            worker = start_delivery_worker(store, settings)
            purger = QuarantinePurger(settings)
            try:
                with thread_switch(settings.thread_switch_ms):
                    yield
            finally:
                purger.stop()
        finally:
            await run_in_threadpool(watch.stop)
            if worker is not None:
                await run_in_threadpool(worker.stop)
            await run_in_threadpool(store.close)

    graphql = GraphQLEndpoint()
    routes = [
        Route("/graphql", graphql.handle, methods=["GET", "POST"], name="graphql"),
        Route("/health", health, methods=["GET"], name="health"),
        Route("/export/households.csv", export_households, methods=["GET"], name="export"),
        *(Route(path, fn, methods=methods) for path, fn, methods in auth_routes(access)),
        *page_routes(),
        *ui_routes(),
        Route("/", home, methods=["GET"], name="home"),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
    ]
    middleware = [Middleware(AccessMiddleware, access=access)]
    if settings.cors_origins:  # outermost: a preflight is answered before sign-in
        middleware.insert(0, cors(settings))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
    app.state.graphql = graphql  # the pages run their documents through it
    return app


def cors(settings: Settings) -> Middleware:
    """Browsers on the configured origins may call the API (bearer tokens; no cookies
    across origins: the session cookie is SameSite)."""
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
