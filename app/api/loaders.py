"""Per-request DataLoaders: nested fields of many customers cost one store read per kind.

A request gets fresh loaders (their cache lives only as long as the request). Each batch runs
its store read in a worker thread, since the store is synchronous.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

import anyio
from aiodataloader import DataLoader
from starlette.concurrency import run_in_threadpool

from app.access.roles import Identity
from app.api import reads
from app.api.records import (
    AccountHolding,
    CustomerProfile,
    CustomerRecord,
    DeviceUse,
    Identifiers,
    InteractionRecord,
    MatchRecord,
    Page,
    ProfileRecord,
)
from app.households.marketing import HouseholdHit, households_of_profiles
from app.settings import Settings
from app.store import GraphStore

# One store round trip carries at most this many keys; bigger batches are split.
MAX_BATCH = 1000

# (customerId, page size, keyset cursor (ts, interactionId) or None)
InteractionKey = tuple[str, int, tuple[int, str] | None]
# (customerId, minProbability, page size, keyset cursor (probability, other id) or None)
MatchKey = tuple[str, float, int, tuple[float, str] | None]


class _ByKey[V](DataLoader[str, V]):
    """Batches keys (customer or profile ids) into one call of read(store, ids) -> {id: value}."""

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


class _Pages[V](DataLoader[tuple[Any, ...], Page[V]]):
    """Batches pages of a per-customer list. A key is (customerId, *page arguments); one
    store read per distinct page arguments, as read(store, ids, *arguments)."""

    max_batch_size = MAX_BATCH

    def __init__(self, store: GraphStore, read: Callable[..., dict[str, Page[V]]]) -> None:
        super().__init__()
        self._store = store
        self._read = read

    async def batch_load_fn(self, keys: list[tuple[Any, ...]]) -> list[Page[V]]:
        groups: defaultdict[tuple[Any, ...], list[str]] = defaultdict(list)
        for key in keys:
            groups[key[1:]].append(key[0])
        pages: dict[tuple[Any, ...], Page[V]] = {}
        for arguments, ids in groups.items():
            found = await run_in_threadpool(self._read, self._store, ids, *arguments)
            pages.update({(cid, *arguments): page for cid, page in found.items()})
        return [pages[k] for k in keys]


def _none() -> None:
    return None


@dataclass
class Loaders:
    customers: _ByKey[CustomerRecord | None]
    identifiers: _ByKey[Identifiers]
    accounts: _ByKey[list[AccountHolding]]
    devices: _ByKey[list[DeviceUse]]
    interactions: _Pages[InteractionRecord]  # keys: InteractionKey
    profiles: _ByKey[ProfileRecord | None]  # by profileId
    customer_profiles: _ByKey[CustomerProfile | None]  # by customerId, via RESOLVES_TO
    profile_members: _ByKey[list[str]]  # by profileId: materialised member customerIds
    profile_props: _ByKey[dict[str, Any]]  # by profileId: every property (metrics)
    matches: _Pages[MatchRecord]  # keys: MatchKey
    profile_households: _ByKey[HouseholdHit | None]  # by profileId: its current household
    household_members: _ByKey[list[dict[str, Any]]]  # by householdId: every membership

    @classmethod
    def for_store(cls, store: GraphStore) -> Loaders:
        """Fresh loaders; call inside the request's event loop."""
        return cls(
            customers=_ByKey(store, reads.customers, _none),
            identifiers=_ByKey(store, reads.identifiers, Identifiers),
            accounts=_ByKey(store, reads.accounts, list),
            devices=_ByKey(store, reads.devices, list),
            interactions=_Pages(store, reads.interactions),
            profiles=_ByKey(store, reads.profiles, _none),
            customer_profiles=_ByKey(store, reads.customer_profiles, _none),
            profile_members=_ByKey(store, reads.profile_members, list),
            profile_props=_ByKey(store, reads.profile_props, dict),
            matches=_Pages(store, reads.matches),
            profile_households=_ByKey(store, households_of_profiles, _none),
            household_members=_ByKey(store, reads.household_members, list),
        )

    def clear_all(self) -> None:
        """Forget everything read so far: after a mutation, later fields of the same
        request must see the graph as it is now."""
        for f in fields(self):
            getattr(self, f.name).clear_all()


@dataclass
class RequestContext:
    """What resolvers get as info.context."""

    store: GraphStore
    settings: Settings
    loaders: Loaders
    # Who is signed in: the actor of every change made in this request (app/api/auth.py).
    identity: Identity | None = None
    access: Any = None  # app.api.access.RequestAccess: consent, masks, the PII-read audit
    # Steward changes read, then write: one at a time per server, so two merges of the same
    # profiles cannot interleave. The endpoint passes the app's lock, shared by all requests.
    write_lock: anyio.Lock = field(default_factory=anyio.Lock)

    @classmethod
    def create(
        cls,
        store: GraphStore,
        settings: Settings,
        identity: Identity | None = None,
        write_lock: anyio.Lock | None = None,
        access: Any = None,
    ) -> RequestContext:
        return cls(
            store=store,
            settings=settings,
            loaders=Loaders.for_store(store),
            identity=identity,
            access=access,
            write_lock=write_lock or anyio.Lock(),
        )

    @property
    def actor(self) -> str:
        """The signed-in identity, as the audit trail names it."""
        if self.identity is None:
            raise RuntimeError("a change needs a signed-in identity")
        return self.identity.actor


def request_context(info: Any) -> RequestContext:
    """The per-request context a resolver's `info` carries (loaders, store, identity)."""
    return cast(RequestContext, info.context)
