"""FalkorDB's bulk path (GRAPH.BULK), a part of the embedded store (app/store/falkordb.py)
kept in a module of its own: nodes in the command's binary form, their internal IDs read
back, then the relationships between those IDs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from redis.exceptions import RedisError, ResponseError

from app.errors import BulkUnsupported, StoreError, StoreUnavailable
from app.store.base import BulkEdges, BulkNodes, Key, WriteSummary, safe_identifier
from app.store.batches import pipelined
from app.store.falkordb_wire import Reply, bulk_tokens, relationship_tokens
from app.store.node_ids import NodeIds
from app.store.reads import pages

# A bulk load that adds nodes to a label with others reads their IDs by key, this many a read.
BULK_ID_PAGE = 50_000


class Server(Protocol):
    """What the bulk path uses of the store it is part of."""

    _graph_name: str
    nodes_created: int

    def _send(self, *args: Any) -> Any: ...
    def _execute(self, header: str, text: str, write: bool) -> Reply: ...
    def _verbose(self, text: str, params: Mapping[str, Any]) -> list[Any]: ...
    def _ids_of(self, key: Key, values: list[Any]) -> NodeIds: ...
    def _bulk(self, n: int, e: int, labels: list[bytes], types: list[bytes]) -> WriteSummary: ...
    def revive(self) -> bool: ...
    def noted_write(self, text: str) -> None: ...


class BulkPath:
    """FalkorStore's bulk_load."""

    def bulk_load(
        self: Server,
        nodes: Sequence[BulkNodes],
        edges: Sequence[BulkEdges],
        ids: dict[str, NodeIds] | None = None,
    ) -> WriteSummary:
        """GRAPH.BULK (the command FalkorDB's bulk loader sends): nodes in its binary form,
        then their internal IDs read back by key, then the relationships between those IDs.
        A label written must have no nodes yet, unless it is in `ids`: there the caller
        knows each node sent is new, and `ids[label]` holds the IDs of the label's stored
        nodes that relationships may end at; the new nodes' IDs are read by their keys and
        added to it. `ids` gets the IDs of every label it was given, or written, or
        linked to. Indexes and constraints stay as they are and take the new nodes; each
        command is atomic and logged like a query."""
        known = ids if ids is not None else {}
        empty = {group.label for group in nodes if group.label not in known}
        for label in sorted(empty):
            found = self._execute(
                "", f"MATCH (n:{safe_identifier(label)}) RETURN count(n)", write=False
            )
            if found.rows[0][0]:
                raise BulkUnsupported(f"the graph already has {label} nodes")
        total = WriteSummary()
        node_tokens = (
            token for group in nodes for token in bulk_tokens(group.label, group.rows, None)
        )
        for done in pipelined(node_tokens, lambda t: self._bulk(t[1], 0, [t[0]], [])):
            total.add(done)
        written = {group.label: group for group in nodes}
        wanted = {e.start for e in edges} | {e.end for e in edges}
        if ids is not None:
            wanted |= {Key(g.label, g.key) for g in nodes}
        for key in wanted:
            if key.label in known and key.label not in written:
                continue
            if key.label in known:  # the new nodes of a label that has others
                rows = [r[key.prop] for r in written[key.label].rows]
                known[key.label] = known[key.label].plus(self._ids_of(key, rows), key.label)
            else:  # every node of the label: all new, or the ends of relationships
                label, prop = safe_identifier(key.label), safe_identifier(key.prop)
                raw = self._send(
                    "GRAPH.RO_QUERY", self._graph_name, f"MATCH (n:{label}) RETURN n.{prop}, id(n)"
                )
                known[key.label] = NodeIds.of(raw[1], label, prop)
        edge_tokens = (
            token
            for rels in edges
            for token in relationship_tokens(rels, known[rels.start.label], known[rels.end.label])
        )
        for done in pipelined(edge_tokens, lambda t: self._bulk(0, t[1], [], [t[0]])):
            total.add(done)
        return total

    def _ids_of(self: Server, key: Key, values: list[Any]) -> NodeIds:
        """The internal IDs of the nodes with these keys, read by key a page at a time."""
        label, prop = safe_identifier(key.label), safe_identifier(key.prop)
        text = f"UNWIND $keys AS k MATCH (n:{label} {{{prop}: k}}) RETURN k, id(n)"
        rows: list[list[Any]] = []
        for page in pages(values, BULK_ID_PAGE):
            rows += self._verbose(text, {"keys": page})[1]
        return NodeIds.of(rows, label, prop)

    def _bulk(
        self: Server, n: int, e: int, labels: list[bytes], types: list[bytes]
    ) -> WriteSummary:
        try:
            raw = self._send(
                "GRAPH.BULK", self._graph_name, n, e, len(labels), len(types), *labels, *types
            )
        except ResponseError as exc:
            raise StoreError(f"FalkorDB refused a bulk load: {exc}") from exc
        except RedisError as exc:
            self.revive()
            raise StoreUnavailable(f"FalkorDB is unreachable: {exc}") from exc
        finally:
            self.noted_write("")  # a write with no query name: its writer's mark
        made = [int(part.split()[0]) for part in str(raw).split(", ")]
        self.nodes_created += made[0]
        return WriteSummary(nodes_created=made[0], relationships_created=made[1])
