"""Running the web app: one process, or several worker processes over one store so that
GraphQL execution uses every core (docs/architecture.md, "Serving").

Workers are processes of their own, each with the whole app (its lifespan opens the store,
its own supervision and webhook worker), started by uvicorn on one listening socket. The
parent opens the store first and holds it while they run: with the embedded store that makes
it the process that started FalkorDB's server, so every worker attaches to that one server
(FalkorStore attaches to the server running on the data folder, under the folder's start
lock) instead of starting one of its own, and the parent, the last to let go, stops it."""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

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
    config = uvicorn.Config(
        APP_FACTORY, factory=True, workers=workers, host=host, port=port, log_level="info"
    )
    listening = listening_socket(host, port)
    server_secret(settings)  # made here once, not raced for by the workers on a first start
    with open_store(settings):
        Multiprocess(config, sockets=[listening]).run()


def free_port() -> int:
    """A TCP port free on loopback now, for tests and benches that start a server."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening_socket(host: str, port: int) -> socket.socket:
    """The workers' shared socket, made as a TCP socket by name. uvicorn's own
    (Config.bind_socket) leaves its protocol at 0, and asyncio turns Nagle's algorithm off
    (TCP_NODELAY) only on connections accepted from an IPPROTO_TCP socket: every answer on a
    kept-alive connection then waited ~40 ms for the client's delayed ACK (measured: /health
    44 ms against 1 ms; Kludex/uvicorn#3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
