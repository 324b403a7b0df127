"""Per-request DataLoaders: nested fields of many customers cost one store read per kind.

A request gets fresh loaders (their cache lives only as long as the request). Each batch runs
its store read in a worker thread, since the store is synchronous.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader
from starlette.concurrency import run_in_threadpool

from app.api import reads
from app.api.records import (
    AccountHolding,
    CustomerRecord,
    DeviceUse,
    Identifiers,
    InteractionRecord,
    Page,
)
from app.settings import Settings
from app.store import GraphStore

# One store round trip carries at most this many keys; bigger batches are split.
MAX_BATCH = 1000

# (customerId, page size, keyset cursor (ts, interactionId) or None)
InteractionKey = tuple[str, int, tuple[int, str] | None]


class _ByCustomer[V](DataLoader[str, V]):
    """Batches customer ids into one call of read(store, ids) -> {id: value}."""

    max_batch_size = MAX_BATCH

    def __init__(
        self,
        store: GraphStore,
        read: Callable[[GraphStore, Sequence[str]], dict[str, Any]],
        missing: Callable[[], V],
    ) -> None:
        super().__init__()
        self._store = store
        self._read = read
        self._missing = missing

    async def batch_load_fn(self, keys: list[str]) -> list[V]:
        found = await run_in_threadpool(self._read, self._store, keys)
        return [found[k] if k in found else self._missing() for k in keys]


class InteractionLoader(DataLoader[InteractionKey, Page[InteractionRecord]]):
    """Batches interaction pages; one store read per distinct (page size, cursor)."""

    max_batch_size = MAX_BATCH

    def __init__(self, store: GraphStore) -> None:
        super().__init__()
        self._store = store

    async def batch_load_fn(self, keys: list[InteractionKey]) -> list[Page[InteractionRecord]]:
        groups: defaultdict[tuple[int, tuple[int, str] | None], list[str]] = defaultdict(list)
        for cid, size, after in keys:
            groups[(size, after)].append(cid)
        pages: dict[InteractionKey, Page[InteractionRecord]] = {}
        for (size, after), ids in groups.items():
            found = await run_in_threadpool(reads.interactions, self._store, ids, size, after)
            pages.update({(cid, size, after): page for cid, page in found.items()})
        return [pages[k] for k in keys]


def _none() -> None:
    return None


@dataclass
class Loaders:
    customers: _ByCustomer[CustomerRecord | None]
    identifiers: _ByCustomer[Identifiers]
    accounts: _ByCustomer[list[AccountHolding]]
    devices: _ByCustomer[list[DeviceUse]]
    interactions: InteractionLoader

    @classmethod
    def for_store(cls, store: GraphStore) -> Loaders:
        """Fresh loaders; call inside the request's event loop."""
        return cls(
            customers=_ByCustomer(store, reads.customers, _none),
            identifiers=_ByCustomer(store, reads.identifiers, Identifiers),
            accounts=_ByCustomer(store, reads.accounts, list),
            devices=_ByCustomer(store, reads.devices, list),
            interactions=InteractionLoader(store),
        )


@dataclass
class RequestContext:
    """What resolvers get as info.context."""

    store: GraphStore
    settings: Settings
    loaders: Loaders

    @classmethod
    def create(cls, store: GraphStore, settings: Settings) -> RequestContext:
        return cls(store=store, settings=settings, loaders=Loaders.for_store(store))
