"""A first load into a graph that holds no records yet: every file's prepared writes are
applied in memory, in order, as the upsert queries would apply them in the store (MERGE by
key, SET +=, ON CREATE, address survivorship after each chunk), and the finished graph goes
to the store's bulk path at once (FalkorDB: GRAPH.BULK). Same graph as the incremental load
(tests/ingestion/test_bulk.py compares digests); everything after it loads incrementally."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from app.ingestion.addresses import address_props
from app.store.base import UNIQUE_KEYS, BulkEdges, BulkNodes, Key, WriteSummary

Row = dict[str, Any]

# The nodes a load writes, by label, with their key property (the store's unique keys).
_KEY_OF = {k.label: k.prop for k in UNIQUE_KEYS}
NODE_KEYS: dict[str, str] = {
    label: _KEY_OF[label]
    for label in (
        "Customer",
        "Interaction",
        "Email",
        "Phone",
        "Address",
        "Device",
        "Account",
        "Identifier",
    )
}
# Relationship type -> (start label, end label).
EDGE_ENDS: dict[str, tuple[str, str]] = {
    "HAS_EMAIL": ("Customer", "Email"),
    "HAS_PHONE": ("Customer", "Phone"),
    "LIVES_AT": ("Customer", "Address"),
    "USES_DEVICE": ("Customer", "Device"),
    "HOLDS": ("Customer", "Account"),
    "HAS_IDENTIFIER": ("Customer", "Identifier"),
    "PERFORMED": ("Customer", "Interaction"),
    "VIA": ("Interaction", "Device"),
    "ON": ("Interaction", "Account"),
}
# unlink_stale_identifiers: the edges a record drops when it no longer carries their end.
UNLINKED = ("HAS_EMAIL", "HAS_PHONE", "LIVES_AT", "USES_DEVICE", "HOLDS", "HAS_IDENTIFIER")
# The relationship types a load sets properties on; the others hold none (None in memory:
# an empty dict for each of a million-record load's ~9 million events' edges is 0.6 GB).
WITH_PROPS = ("USES_DEVICE", "HOLDS")
_NO_PROPS: dict[str, Any] = {}  # read only: what tables() hands over for an edge without any


def _set_all(target: dict[str, Any], props: dict[str, Any]) -> None:
    """SET n += props: a null removes the property."""
    for k, v in props.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = v


class BulkGraph:
    """The graph a load would write, built in memory from its prepared writes."""

    def __init__(self, trust_order: Sequence[str]) -> None:
        self.trust_order = list(trust_order)
        self.nodes: dict[str, dict[str, dict[str, Any]]] = {label: {} for label in NODE_KEYS}
        # type -> (start key, end key) -> properties (None for a type without any)
        self.edges: dict[str, dict[tuple[str, str], dict[str, Any] | None]] = {
            t: {} for t in EDGE_ENDS
        }
        # customer -> type -> ends (UNLINKED types; a list: a record has one or two of each)
        self._out: dict[str, dict[str, list[str]]] = {}
        self._residents: dict[str, set[str]] = defaultdict(set)  # address -> customers
        self._performer: dict[str, str] = {}  # interaction -> its one performer
        self.summary = WriteSummary()
        self.on_stored: list[Callable[[], None]] = []  # run once the graph is in the store

    # ---- what the loader reads ----------------------------------------------------------

    def customers(self, ids: Iterable[str]) -> set[str]:
        have = self.nodes["Customer"]
        return {i for i in ids if i in have}

    def performers(self, ids: Iterable[str]) -> list[Row]:
        """interactions_existing's rows: each event it has, with each performer."""
        have = self.nodes["Interaction"]
        out: list[Row] = []
        for i in ids:
            if i in have:
                out.append({"interactionId": i, "customerId": self._performer.get(i)})
        return out

    # ---- MERGE, SET ---------------------------------------------------------------------

    def _merge(self, label: str, key: str) -> tuple[dict[str, Any], bool]:
        nodes = self.nodes[label]
        node = nodes.get(key)
        if node is not None:
            return node, False
        node = nodes[key] = {NODE_KEYS[label]: key}
        self.summary.nodes_created += 1
        return node, True

    def _link(self, kind: str, start: str, end: str) -> None:
        edges = self.edges[kind]
        if (start, end) in edges:
            return
        edges[start, end] = {} if kind in WITH_PROPS else None
        self.summary.relationships_created += 1
        if kind in UNLINKED:
            self._out.setdefault(start, {}).setdefault(kind, []).append(end)
        if kind == "LIVES_AT":
            self._residents[end].add(start)
        elif kind == "PERFORMED":
            self._performer[end] = start

    def _edge_props(self, kind: str, start: str, end: str) -> dict[str, Any]:
        """_link, then the relationship's properties (a WITH_PROPS type) to set."""
        self._link(kind, start, end)
        props = self.edges[kind][start, end]
        assert props is not None, kind
        return props

    def _unlink(self, kind: str, start: str, end: str) -> None:
        del self.edges[kind][start, end]
        self.summary.relationships_deleted += 1
        self._out[start][kind].remove(end)
        if kind == "LIVES_AT":
            self._residents[end].discard(start)

    def apply(self, writes: dict[str, list[Row]]) -> WriteSummary:
        """One chunk's writes, query by query in order, as the store applies them, then the
        addresses it touched (linked to or unlinked from) recomputed; returns what changed."""
        before = replace(self.summary)
        addresses: set[str] = set()
        for name, rows in writes.items():
            apply = getattr(self, f"_{name}")
            for row in rows:
                apply(row, addresses)
        self.refresh_addresses(addresses)
        # The graph in memory is millions of dicts that live until the load ends: kept out
        # of the garbage collector's full passes, which otherwise take half a 100k load.
        gc.freeze()
        return WriteSummary(
            nodes_created=self.summary.nodes_created - before.nodes_created,
            relationships_created=self.summary.relationships_created - before.relationships_created,
            relationships_deleted=self.summary.relationships_deleted - before.relationships_deleted,
        )

    def _upsert_customers(self, row: Row, _: set[str]) -> None:
        node, _new = self._merge("Customer", row["customerId"])
        _set_all(node, row["props"])
        node.pop("stub", None)

    def _unlink_stale_identifiers(self, row: Row, addresses: set[str]) -> None:
        keep = set(row["keys"])
        c = row["customerId"]
        for kind in UNLINKED:
            label = EDGE_ENDS[kind][1]
            for end in list(self._out.get(c, {}).get(kind, ())):
                if f"{label}:{end}" not in keep:
                    self._unlink(kind, c, end)
                    if kind == "LIVES_AT":
                        addresses.add(end)

    def _customer(self, row: Row) -> str | None:
        c: str = row["customerId"]
        return c if c in self.nodes["Customer"] else None  # MATCH (c:Customer ...)

    def _link_emails(self, row: Row, _: set[str]) -> None:
        if c := self._customer(row):
            self._merge("Email", row["email"])
            self._link("HAS_EMAIL", c, row["email"])

    def _link_phones(self, row: Row, _: set[str]) -> None:
        if c := self._customer(row):
            self._merge("Phone", row["phone"])
            self._link("HAS_PHONE", c, row["phone"])

    def _link_addresses(self, row: Row, addresses: set[str]) -> None:
        if c := self._customer(row):
            node, new = self._merge("Address", row["addressId"])
            if new:
                _set_all(node, row["props"])
            self._link("LIVES_AT", c, row["addressId"])
            addresses.add(row["addressId"])

    def _link_devices(self, row: Row, _: set[str]) -> None:
        if c := self._customer(row):
            self._merge("Device", row["deviceId"])
            edge = self._edge_props("USES_DEVICE", c, row["deviceId"])
            _set_all(edge, {"firstSeen": row["seen"], "lastSeen": row["seen"]})

    def _link_accounts(self, row: Row, _: set[str]) -> None:
        if c := self._customer(row):
            self._merge("Account", row["accountId"])
            _set_all(self._edge_props("HOLDS", c, row["accountId"]), {"role": row["role"]})

    def _set_account_attributes(self, row: Row, _: set[str]) -> None:
        node, _new = self._merge("Account", row["accountId"])
        _set_all(node, row["props"])

    def _link_identifiers(self, row: Row, _: set[str]) -> None:
        if c := self._customer(row):
            node, new = self._merge("Identifier", row["identifierId"])
            if new:
                _set_all(node, {"type": row["type"], "value": row["value"]})
            self._link("HAS_IDENTIFIER", c, row["identifierId"])

    def _upsert_interactions(self, row: Row, _: set[str]) -> None:
        i, c = row["interactionId"], row["customerId"]
        if self._performer.get(i, c) != c:
            return  # an event ID belongs to one performer
        customer, new = self._merge("Customer", c)
        if new:
            customer.update(source=row["source"], sourceKey=row["customerKey"], stub=True)
        node, _new = self._merge("Interaction", i)
        _set_all(node, row["props"])
        self._link("PERFORMED", c, i)

    def _link_interaction_devices(self, row: Row, _: set[str]) -> None:
        i = row["interactionId"]
        if i in self.nodes["Interaction"]:
            self._merge("Device", row["deviceId"])
            self._link("VIA", i, row["deviceId"])

    def _link_interaction_accounts(self, row: Row, _: set[str]) -> None:
        i = row["interactionId"]
        if i in self.nodes["Interaction"]:
            self._merge("Account", row["accountId"])
            self._link("ON", i, row["accountId"])

    def refresh_addresses(self, ids: Iterable[str]) -> None:
        """refresh_addresses (app/ingestion/addresses.py) on the graph in memory."""
        customers = self.nodes["Customer"]
        for a in ids:
            residents = self._residents.get(a)
            if not residents:
                continue  # an address no record lives at keeps what it has
            members = [{**customers[c], "customerId": c} for c in residents]
            self.nodes["Address"][a].update(
                {"addressId": a, **address_props(members, self.trust_order)}
            )
            for k in [k for k, v in self.nodes["Address"][a].items() if v is None]:
                del self.nodes["Address"][a][k]

    # ---- to the store -------------------------------------------------------------------

    def tables(self) -> tuple[list[BulkNodes], list[BulkEdges]]:
        nodes = [
            BulkNodes(label, NODE_KEYS[label], list(found.values()))
            for label, found in self.nodes.items()
            if found
        ]
        edges = [
            BulkEdges(
                kind,
                Key(EDGE_ENDS[kind][0], NODE_KEYS[EDGE_ENDS[kind][0]]),
                Key(EDGE_ENDS[kind][1], NODE_KEYS[EDGE_ENDS[kind][1]]),
                [(s, e, _NO_PROPS if p is None else p) for (s, e), p in found.items()],
            )
            for kind, found in self.edges.items()
            if found
        ]
        return nodes, edges
