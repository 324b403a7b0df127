"""Neo4j through the official driver: execute_query with database_ and read routing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import neo4j
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from app.errors import StoreError
from app.store.base import GraphStore, Row, Schema, WriteSummary, safe_identifier


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str) -> None:
        self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
        self._database = database

    def run_text(
        self, text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        routing = neo4j.RoutingControl.WRITE if write else neo4j.RoutingControl.READ
        try:
            records, summary, _ = self._driver.execute_query(
                text, parameters_=dict(params or {}), database_=self._database, routing_=routing
            )
        except (Neo4jError, ServiceUnavailable) as exc:
            raise StoreError(f"Neo4j refused the query: {exc}\n{text.strip()[:400]}") from exc
        c = summary.counters
        return [r.data() for r in records], WriteSummary(
            nodes_created=c.nodes_created,
            nodes_deleted=c.nodes_deleted,
            relationships_created=c.relationships_created,
            relationships_deleted=c.relationships_deleted,
            properties_set=c.properties_set,
        )

    def setup_schema(self, schema: Schema | None = None) -> list[str]:
        schema = schema or Schema()
        created: list[str] = []
        for key in schema.unique:
            label, prop = safe_identifier(key.label), safe_identifier(key.prop)
            self.run_text(
                f"CREATE CONSTRAINT {label.lower()}_{prop}_unique IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE",
                write=True,
            )
            created.append(f"unique {label}.{prop}")
        for key in schema.indexes:
            label, prop = safe_identifier(key.label), safe_identifier(key.prop)
            self.run_text(
                f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})",
                write=True,
            )
        return created

    def ping(self) -> bool:
        try:
            self._driver.verify_connectivity()
            return True
        except Exception:
            return False

    def clear(self) -> None:
        # execute_query runs in a managed transaction, so delete in bounded slices instead
        # of CALL ... IN TRANSACTIONS.
        while True:
            rows, _ = self.run_text(
                "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted",
                write=True,
            )
            if not rows or rows[0]["deleted"] == 0:
                return

    def close(self) -> None:
        self._driver.close()
