"""Storage: one interface (base.GraphStore), one module per backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.store.base import GraphStore, WriteSummary, query_names

if TYPE_CHECKING:  # not imported for it: the server's watcher (falkordb_linger) starts faster
    from app.settings import Settings

__all__ = ["GraphStore", "WriteSummary", "open_store", "query_names"]


def open_store(settings: Settings) -> GraphStore:
    """Open the configured store. Backend modules are imported only when chosen."""
    if settings.store == "neo4j":
        from app.store.neo4j import Neo4jStore

        return Neo4jStore.connect(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
            query_timeout_s=settings.query_timeout_s,
            connect_timeout_s=settings.neo4j_connect_timeout_s,
            retry_s=settings.neo4j_retry_s,
        )
    from app.store.falkordb import FalkorStore

    return FalkorStore(
        settings.falkordb_file,
        settings.graph_name,
        settings.query_timeout_s,
        malloc_arenas=settings.falkordb_malloc_arenas,
        reload_after_nodes=settings.falkordb_reload_after_nodes,
        linger_s=settings.store_linger_s,
    )
