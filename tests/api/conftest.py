"""API fixtures: one embedded FalkorDB for the API tests, emptied per test, and a seeder that
writes through the store's own write queries (the ones ingestion uses). For profiles, matches
and steward changes: a second store with a small synthetic population, loaded and resolved."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from app.access.keys import create_key
from app.access.roles import Roles
from app.api.app import create_app
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.truth import read_truth
from app.settings import Settings
from app.store import GraphStore, WriteSummary, open_store
from app.store.base import Row, Schema
from app.synth import SynthConfig, generate


class CountingStore(GraphStore):
    """The real store, with every round trip counted. Closing it leaves the real one open
    (the session fixture owns it), so an app's lifespan can 'close' it per test."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.round_trips = 0
        self.queries: list[str] = []
        self.closed = False

    def read(self, name: str, **params: Any) -> list[Row]:
        self.queries.append(name)
        return super().read(name, **params)

    def run_text(
        self, text: str, params: Mapping[str, Any] | None = None, *, write: bool
    ) -> tuple[list[Row], WriteSummary]:
        self.round_trips += 1
        return self.inner.run_text(text, params, write=write)

    def setup_schema(self, schema: Schema | None = None) -> list[str]:
        return self.inner.setup_schema(schema)

    def ping(self) -> bool:
        return not self.closed and self.inner.ping()

    def clear(self) -> None:
        self.inner.clear()

    def close(self) -> None:
        self.closed = True

    def reset_counts(self) -> None:
        self.round_trips = 0
        self.queries.clear()


@pytest.fixture(scope="session")
def api_settings(falkor_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Like falkor_settings, in a folder of its own so this store can stay open all session
    (closing embedded FalkorDB takes seconds)."""
    return falkor_settings.model_copy(
        update={
            "data_dir": tmp_path_factory.mktemp("api"),
            "graph_name": "api",
            "rate_limit_per_minute": NO_RATE_LIMIT,  # tests that loop are not what it is for
        }
    )


@pytest.fixture(scope="session")
def _api_session_store(api_settings: Settings) -> Iterator[GraphStore]:
    store = open_store(api_settings)
    yield store
    store.close()


@pytest.fixture
def api_store(_api_session_store: GraphStore) -> CountingStore:
    """An empty graph with the schema in place, round trips counted."""
    _api_session_store.clear()
    _api_session_store.setup_schema()
    return CountingStore(_api_session_store)


@dataclass
class Seeder:
    """Writes test data with the store's write queries, as ingestion does."""

    store: GraphStore

    def _write(self, name: str, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.store.write_batches(name, rows, batch_size=500)

    def customer(
        self,
        customer_id: str,
        *,
        emails: Sequence[str] = (),
        phones: Sequence[str] = (),
        devices: Sequence[str] = (),
        accounts: Sequence[tuple[str, str]] = (),
        address: dict[str, str] | None = None,
        **props: Any,
    ) -> str:
        source, key = customer_id.split(":", 1)
        base = {"source": source, "sourceKey": key, "firstName": "Ada", "lastName": "Lovelace"}
        base.update({"updatedAt": "2024-05-01T10:00:00", **props})
        self._write("upsert_customers", [{"customerId": customer_id, "props": base}])
        ids = {"customerId": customer_id}
        self._write("link_emails", [{**ids, "email": e} for e in emails])
        self._write("link_phones", [{**ids, "phone": p} for p in phones])
        seen = base["updatedAt"]
        self._write("link_devices", [{**ids, "deviceId": d, "seen": seen} for d in devices])
        self._write(
            "link_accounts", [{**ids, "accountId": a, "role": role} for a, role in accounts]
        )
        if address:
            addr = {**ids, "addressId": address["addressId"], "props": address}
            self._write("link_addresses", [addr])
        return customer_id

    def interactions(self, customer_id: str, events: Sequence[dict[str, Any]]) -> list[str]:
        """events: {eventId, ts, type?, channel?, value?, deviceId?, accountId?}."""
        source, key = customer_id.split(":", 1)
        rows, via, on = [], [], []
        for event in events:
            iid = f"{source}:{event['eventId']}"
            props = {
                "source": source,
                "type": event.get("type", "purchase"),
                "channel": event.get("channel", "web"),
                "ts": event["ts"],
                "occurredAt": f"ts-{event['ts']}",
            }
            if "value" in event:
                props["value"] = event["value"]
            rows.append(
                {
                    "customerId": customer_id,
                    "source": source,
                    "customerKey": key,
                    "interactionId": iid,
                    "props": props,
                }
            )
            if event.get("deviceId"):
                via.append({"interactionId": iid, "deviceId": event["deviceId"]})
            if event.get("accountId"):
                on.append({"interactionId": iid, "accountId": event["accountId"]})
        self._write("upsert_interactions", rows)
        self._write("link_interaction_devices", via)
        self._write("link_interaction_accounts", on)
        return [r["interactionId"] for r in rows]


@pytest.fixture
def seed(api_store: CountingStore) -> Seeder:
    return Seeder(api_store.inner)


@pytest.fixture
def app(api_settings: Settings, api_store: CountingStore) -> Starlette:
    return create_app(api_settings, store_factory=lambda _settings: api_store)


@pytest.fixture
async def client(app: Starlette, api_store: CountingStore) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app, with the app's lifespan run around it, signed in as an
    admin (an API key made for the test)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {make_key(api_store.inner)}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api.test", headers=headers
        ) as c:
            yield c


ROLES = Roles.configured({}, {})
NO_RATE_LIMIT = 10**9


def make_key(
    store: GraphStore, name: str = "test-admin", roles: Sequence[str] = ("admin",), **kw: Any
) -> str:
    """A fresh API key in the store; its token, to send as a bearer."""
    return create_key(store, ROLES, name, list(roles), kw.pop("days", 1), "tests", **kw).token


class GraphQL:
    """POSTs a query, signed in with an API key; returns the JSON body and keeps the last
    response. as_actor / as_role sign in with a key of that name / role instead."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        store: GraphStore | None = None,
        headers: Mapping[str, str | bytes] | None = None,
        *,
        name: str = "test-admin",
        roles: Sequence[str] = ("admin",),
    ) -> None:
        self.client = client
        self.store = store
        self.headers = dict(headers or {})
        if store is not None and "Authorization" not in self.headers:
            self.headers["Authorization"] = f"Bearer {make_key(store, name, roles)}"

    def as_actor(self, actor: str, roles: Sequence[str] = ("admin",)) -> GraphQL:
        """The same client signed in with a key named `actor` (the audit calls it key:actor)."""
        return GraphQL(self.client, self.store, name=actor, roles=roles)

    def as_role(self, *roles: str) -> GraphQL:
        return GraphQL(self.client, self.store, name=f"test-{'-'.join(roles)}", roles=roles)

    def anonymous(self) -> GraphQL:
        """No key (and none of the client's own)."""
        return GraphQL(self.client, None, {"Authorization": ""})

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        self.response = response
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = await self(query, **variables)
        assert "errors" not in body, body
        assert self.response.status_code == 200
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def gql(client: httpx.AsyncClient, api_store: CountingStore) -> GraphQL:
    return GraphQL(client, api_store.inner)


@pytest.fixture
def admin_headers(api_store: CountingStore) -> dict[str, str]:
    """Headers that sign a plain HTTP request in as an admin."""
    return {"Authorization": f"Bearer {make_key(api_store.inner)}"}


# A resolved graph: 150 synthetic people (about 400 records in four sources), a model trained
# from the generator's truth, and `resolve`. Loading and training happen once per session;
# resetting removes only what resolution and stewards wrote, and resolves again (resolution
# is deterministic, so every reset gives the same profiles, ids and scores).

_RESOLUTION_STATE = (
    "MATCH (p:Profile) DETACH DELETE p",
    "MATCH (e:AuditEvent) DETACH DELETE e",
    "MATCH (a:Actor) DETACH DELETE a",  # and the reads of personal data (READ_PII)
    "MATCH (:Customer)-[m:MATCHES]->(:Customer) DELETE m",
)


@dataclass
class Resolved:
    store: CountingStore
    settings: Settings
    model: MatchModel
    population: Path
    truth: Any = field(repr=False)  # customerId -> person id (pandas Series)

    def reset(self) -> Resolved:
        for statement in _RESOLUTION_STATE:
            self.store.inner.run_text(statement, write=True)
        self.settings.labels_file.unlink(missing_ok=True)
        resolve(self.store.inner, self.settings, self.model)
        self.store.reset_counts()
        return self

    def rows(self, cypher: str, **params: Any) -> list[Row]:
        """Read the graph directly, to check what the API says against what is stored."""
        rows, _ = self.store.inner.run_text(cypher, params, write=False)
        return list(rows)


@pytest.fixture(scope="session")
def _resolved_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Resolved]:
    base = tmp_path_factory.mktemp("resolved")
    population = base / "synth"
    generate(SynthConfig(people=150, seed=5), population, "csv")
    settings = Settings(
        store="falkordb",
        data_dir=base / "data",
        graph_name="resolved",
        resolve_workers=1,
        rate_limit_per_minute=NO_RATE_LIMIT,
    )
    store = open_store(settings)
    try:
        store.setup_schema()
        load_directory(store, population, settings, show_progress=False)
        truth = read_truth(population / "truth_records.csv")
        model = learn(store, settings, truth_file=population / "truth_records.csv", pairs=200).model
        yield Resolved(CountingStore(store), settings, model, population, truth)
    finally:
        store.close()


@pytest.fixture(scope="module")
def resolved(_resolved_session: Resolved) -> Resolved:
    """The resolved graph, fresh for each test module. For tests that only read."""
    return _resolved_session.reset()


@pytest.fixture
def fresh_resolved(_resolved_session: Resolved) -> Resolved:
    """The resolved graph, fresh for this test: for tests that change it."""
    return _resolved_session.reset()


@pytest.fixture
async def resolved_gql(_resolved_session: Resolved) -> AsyncIterator[GraphQL]:
    """A GraphQL client on an app serving the resolved graph (ask for `resolved` or
    `fresh_resolved` too, to say how fresh it must be)."""
    store = _resolved_session.store
    store.closed = False  # the previous test's app 'closed' it
    app = create_app(_resolved_session.settings, store_factory=lambda _s: store)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
            yield GraphQL(c, store.inner)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium() -> None:
    """Browser tests ask for it: without the browser they fail (a skipped test is a test
    that does not exist); `make browser` installs it."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")


@contextmanager
def serving(app: Starlette, start_within: float = 20) -> Iterator[str]:
    """The app under uvicorn for real, in a background thread on a free port: its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
