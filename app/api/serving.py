"""Running the web app: one process, or several worker processes over one store so that
GraphQL execution uses every core (docs/architecture.md, "Serving").

Workers are processes of their own, each with the whole app (its lifespan opens the store,
its own supervision and webhook worker), started by uvicorn on one listening socket. The
parent opens the store first and holds it while they run: with the embedded store that makes
it the process that started FalkorDB's server, so every worker attaches to that one server
(FalkorStore attaches to the server running on the data folder, under the folder's start
lock) instead of starting one of its own, and the parent, the last to let go, stops it."""

from __future__ import annotations

import uvicorn

from app.access.secret import server_secret
from app.settings import Settings
from app.store import open_store

# uvicorn imports this in each worker and calls it: the worker reads IDGRAPH_* settings
# from the environment it inherited, as the parent did.
APP_FACTORY = "app.api.app:create_app"


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve until interrupted (SIGINT or SIGTERM)."""
    if workers <= 1:
        # Imported here: a parent of workers does not run the app (its imports take seconds).
        from app.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    server_secret(settings)  # made here once, not raced for by the workers on a first start
    with open_store(settings):
        uvicorn.run(
            APP_FACTORY, factory=True, workers=workers, host=host, port=port, log_level="info"
        )
