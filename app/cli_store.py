"""`idgraph settle` (app/cli.py registers it): the embedded store's graph reloaded in its
running server after bulk work (docs/architecture.md, "Writes after bulk work")."""

from __future__ import annotations

from app.cli_common import console
from app.settings import get_settings


def settle() -> None:
    """Reload the embedded graph in the server `idgraph serve` runs, so that its small
    writes (real time) are as fast as after a restart. Every query waits meanwhile (about 5
    s a 100k records): run it after bulk work, when a pause suits."""
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        if store.backend != "falkordb":
            console.print(f"{store.backend}: nothing to do (only the embedded store needs it)")
            return
        seconds = store.settle()
    console.print(f"graph reloaded in {seconds:.1f} s")
