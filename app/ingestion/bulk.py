"""A first load into a graph that holds no records yet: every file's prepared writes are
applied in memory, in order, as the upsert queries would apply them in the store (MERGE by
key, SET +=, ON CREATE, address survivorship after each chunk), and the graph goes to the
store's bulk path (FalkorDB: GRAPH.BULK). Records are held until the last customer file is
read; events are sent in rounds, so that the memory they take is bounded by
`Settings.bulk_round_rows` (a round's rows about stored nodes are written by the upsert
queries once the round is sent). Same graph as the incremental load
(tests/ingestion/test_bulk.py compares digests); everything after it loads incrementally."""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Collection, Container, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from app.ingestion.addresses import address_props
from app.ingestion.fresh import INTERACTION_WRITES
from app.store import GraphStore
from app.store.base import UNIQUE_KEYS, BulkEdges, BulkNodes, Key, WriteSummary
from app.store.node_ids import NodeIds

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
# Once a round is sent, the nodes later events may merge onto, whose IDs are kept to link
# them (events themselves are found in the store: a key's hash is kept, 8 bytes an event).
LINKED = ("Customer", "Device", "Account")


def key_hashes(keys: Sequence[str]) -> np.ndarray:
    """64-bit hashes of keys (pandas' SipHash with its fixed key: the same in every run)."""
    return np.asarray(pd.util.hash_array(np.asarray(keys, dtype=object)))


def _set_all(target: dict[str, Any], props: dict[str, Any]) -> None:
    """SET n += props: a null removes the property."""
    for k, v in props.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = v


class BulkGraph:
    """The graph a load would write, built in memory from its prepared writes. With a store,
    `send()` writes what it holds there (rounds of events, then the rest at the end)."""

    def __init__(
        self,
        trust_order: Sequence[str],
        store: GraphStore | None = None,
        *,
        round_rows: int = 0,
        batch_size: int = 5000,
    ) -> None:
        self.trust_order = list(trust_order)
        self.store = store
        self.round_rows = round_rows  # 0: everything held until the end
        self.batch_size = batch_size
        # After the first round: the stored nodes later events may link to (LINKED), the
        # hashes of stored events' keys, and rows about stored nodes, written after the round.
        self.ids: dict[str, NodeIds] | None = None
        self._sent_events = np.zeros(0, dtype=np.uint64)
        self._later: list[tuple[str, list[Row]]] = []
        self._hold_nothing()
        self.summary = WriteSummary()
        self.on_stored: list[Callable[[], None]] = []  # run once the graph is in the store

    def _hold_nothing(self) -> None:
        """The held graph empty: at the start, and once a round is sent."""
        self.nodes: dict[str, dict[str, dict[str, Any]]] = {label: {} for label in NODE_KEYS}
        # type -> (start key, end key) -> properties (None for a type without any)
        self.edges: dict[str, dict[tuple[str, str], dict[str, Any] | None]] = {
            t: {} for t in EDGE_ENDS
        }
        # customer -> type -> ends (UNLINKED types; a list: a record has one or two of each)
        self._out: dict[str, dict[str, list[str]]] = {}
        self._residents: dict[str, set[str]] = defaultdict(set)  # address -> customers
        self._performer: dict[str, str] = {}  # interaction -> its one performer
        self.held = 0  # source rows applied since the graph was last sent

    # ---- what the loader reads ----------------------------------------------------------

    def performers(self, ids: Iterable[str]) -> list[Row]:
        """interactions_existing's rows: each event it has, with each performer (those sent
        in an earlier round as the store has them)."""
        have = self.nodes["Interaction"]
        out: list[Row] = []
        rest: list[str] = []
        for i in ids:
            if i in have:
                out.append({"interactionId": i, "customerId": self._performer.get(i)})
            else:
                rest.append(i)
        if rest and len(self._sent_events) and self.store is not None:
            hashes, sent = key_hashes(rest), self._sent_events
            at = np.minimum(np.searchsorted(sent, hashes), len(sent) - 1)
            hit = sent[at] == hashes  # (np.isin sorts both arrays: seconds a chunk)
            if hit.any():  # sent before, or another key with the same hash
                maybe = np.asarray(rest, dtype=object)[hit].tolist()
                out += self.store.read("interactions_existing", ids=maybe)
        return out

    def _stored(self, label: str, key: str) -> bool:
        """Whether an earlier round sent this node (one of LINKED)."""
        return self.ids is not None and label in self.ids and key in self.ids[label]

    # ---- MERGE, SET ---------------------------------------------------------------------

    def _merge(self, label: str, key: str) -> tuple[dict[str, Any], bool]:
        """The node (created if new); a node an earlier round sent gives a throwaway dict,
        which nothing sets properties on (rows that would are written after the round)."""
        nodes = self.nodes[label]
        node = nodes.get(key)
        if node is not None:
            return node, False
        if self._stored(label, key):
            return {}, False
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

    def apply(self, writes: dict[str, list[Row]], stored: Collection[str] = ()) -> WriteSummary:
        """One chunk's writes, query by query in order, as the store applies them, then the
        addresses it touched (linked to or unlinked from) recomputed; returns what changed.
        An events chunk first sends what is held once round_rows source rows are. `stored`:
        the chunk's events the graph may have (performers' answer), whose rows, and account
        attributes of stored accounts, are written by queries after the next round."""
        before = replace(self.summary)
        events = "upsert_interactions" in writes
        if events and self.round_rows and self.held >= self.round_rows:
            self.summary.add(self.send())
        if self.ids is not None:
            if not events:
                raise RuntimeError("a bulk load reads every customer file before any events")
            writes = self._defer(writes, {i for i in stored if i not in self.nodes["Interaction"]})
        addresses: set[str] = set()
        for name, rows in writes.items():
            apply = getattr(self, f"_{name}")
            for row in rows:
                apply(row, addresses)
        self.held += len(writes.get("upsert_interactions" if events else "upsert_customers", []))
        self.refresh_addresses(addresses)
        # The graph in memory is millions of dicts that live until they are sent: kept out
        # of the garbage collector's full passes, which otherwise take half a 100k load.
        gc.freeze()
        return WriteSummary(
            nodes_created=self.summary.nodes_created - before.nodes_created,
            relationships_created=self.summary.relationships_created - before.relationships_created,
            relationships_deleted=self.summary.relationships_deleted - before.relationships_deleted,
        )

    def _defer(self, writes: dict[str, list[Row]], stored: set[str]) -> dict[str, list[Row]]:
        """An events chunk after a round was sent: rows about events sent before, and
        attributes of accounts sent before, are set aside for the queries; the rest stays."""
        accounts = self.ids["Account"] if self.ids and "Account" in self.ids else None
        out: dict[str, list[Row]] = {}
        held: Container[str]
        for name, rows in writes.items():
            if name in INTERACTION_WRITES and stored:
                key, held = "interactionId", stored
            elif name == "set_account_attributes" and accounts is not None:
                key, held = "accountId", accounts
            else:
                out[name] = rows
                continue
            later = [r for r in rows if r[key] in held]
            if later:
                self._later.append((name, later))
            out[name] = [r for r in rows if r[key] not in held] if later else rows
        return out

    def send(self) -> WriteSummary:
        """Writes what is held into the store (the first time, into labels with no nodes),
        then the rows set aside for stored nodes, in order, by their queries; keeps of what
        was sent only what later events link to (LINKED's node IDs, the events' key hashes).
        Returns what the queries changed (what was held is counted as it was applied)."""
        if self.store is None:
            raise RuntimeError("a BulkGraph without a store cannot send")
        nodes, edges = self.tables()
        # After the first round, events are added to a label that has some.
        ids = {} if self.ids is None else {**self.ids, "Interaction": NodeIds.empty()}
        self.store.bulk_load(nodes, edges, ids)
        self.ids = {label: ids[label] for label in LINKED if label in ids}
        sent = self.nodes["Interaction"]
        if sent:
            self._sent_events = np.union1d(self._sent_events, key_hashes(list(sent)))  # sorted
        self._hold_nothing()
        done = WriteSummary()
        for name, rows in self._later:
            done.add(self.store.write_batches(name, rows, self.batch_size))
        self._later = []
        return done

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
