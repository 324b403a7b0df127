"""A hardened API: the depth, alias and cost attacks of issue 15 are refused in milliseconds
and /health stays fast while they are tried against a real server; a request's time budget
stops its store reads; introspection can be switched off; CORS answers preflights for the
configured origins only; cheap queries are answered while a heavy one runs."""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import httpx
import pytest

from app.api import reads
from app.api.app import create_app
from app.errors import StoreTimeout
from app.store.base import read_deadline
from tests.api.conftest import make_key, serving


def nested(depth: int) -> str:
    """customer -> profile -> customers -> profile -> ... `depth` fields deep."""
    inner = "id"
    for level in range(depth - 1):
        inner = f"profile {{ {inner} }}" if level % 2 == 0 else f"customers {{ {inner} }}"
    return f'{{ customer(id: "crm:1") {{ {inner} }} }}'


_ALIAS = "q{}: reviewQueue(first: 100) {{ edges {{ node {{ probability }} }} }}"
ALIASES = "{ " + " ".join(_ALIAS.format(i) for i in range(1000)) + " }"
COST = """{ reviewQueue(first: 100) { edges { node { a { matches(first: 100) { edges { node {
  other { interactions(first: 100) { edges { node { id type value } } } } } } } } } } } }"""
ATTACKS = {
    "depth 18": nested(18),
    "depth 21": nested(21),
    "depth 41": nested(41),
    "1,000 aliases": ALIASES,
    "cost": COST,
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attacks_are_refused_before_anything_runs(gql, api_store, attack) -> None:
    api_store.reset_counts()
    # Earlier tests' cyclic garbage (coroutines graphql-core left unawaited in the fuzz tests)
    # is collected first: a full collection landing inside the timed request took 304 ms in
    # one suite run (the "never awaited" warnings came out during this test) where the
    # refusal itself takes 30 ms.
    gc.collect()
    started = time.perf_counter()
    body = await gql(ATTACKS[attack])
    took = time.perf_counter() - started
    assert gql.response.status_code == 400
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert took < 0.25, f"{attack}: {took * 1000:.0f} ms"
    assert api_store.queries == ["access_key_get"]  # nothing but the sign-in touched the store


async def test_a_legitimate_nested_query_still_runs(gql, seed) -> None:
    seed.customer("crm:1", emails=["ada@example.com"])
    data = await gql.data(nested(6))
    assert data == {"customer": {"profile": None}}


@pytest.fixture
def live(api_settings, api_store) -> Iterator[str]:
    with serving(create_app(api_settings, store_factory=lambda _s: api_store)) as url:
        yield url


def _health_while_sent(live: str, headers: dict[str, str], queries: list[str]) -> tuple:
    """/health's answer times while four clients keep sending `queries`, and their statuses."""
    stop = threading.Event()
    statuses: list[int] = []

    def send() -> None:
        with httpx.Client(base_url=live, timeout=30) as c:
            while not stop.is_set():
                for query in queries:
                    r = c.post("/graphql", json={"query": query}, headers=headers)
                    statuses.append(r.status_code)

    senders = [threading.Thread(target=send, daemon=True) for _ in range(4)]
    for t in senders:
        t.start()
    times = []
    try:
        time.sleep(0.3)
        with httpx.Client(base_url=live, timeout=10) as c:
            for _ in range(20):
                started = time.perf_counter()
                assert c.get("/health").status_code == 200
                times.append(time.perf_counter() - started)
                time.sleep(0.05)
    finally:
        stop.set()
        for t in senders:
            t.join(timeout=30)
    return times, statuses


def test_health_stays_fast_while_attacks_are_tried(live, api_store) -> None:
    """Four clients sending the attacks without pause delay /health by at most the refusal of
    the four requests ahead of it, not by running them: measured against the refusal time of
    one attack alone and /health beside harmless queries, in the same run (a busy machine
    slows all three alike)."""
    headers = {"Authorization": f"Bearer {make_key(api_store.inner)}"}
    with httpx.Client(base_url=live, timeout=30) as c:
        alone = []
        for query in ATTACKS.values():
            took = []
            for _ in range(5):
                started = time.perf_counter()
                assert c.post("/graphql", json={"query": query}, headers=headers).status_code == 400
                took.append(time.perf_counter() - started)
            alone.append(statistics.median(took))
    harmless, answered = _health_while_sent(live, headers, ["{ __typename }"])
    attacked, refused = _health_while_sent(live, headers, list(ATTACKS.values()))
    assert set(answered) == {200}
    assert len(refused) > 20 and set(refused) == {400}
    bound = 4 * max(alone) + statistics.median(harmless)
    assert statistics.median(attacked) <= bound, (
        f"/health took {statistics.median(attacked) * 1000:.0f} ms under attack; one refusal "
        f"takes {max(alone) * 1000:.0f} ms, /health beside harmless queries "
        f"{statistics.median(harmless) * 1000:.0f} ms"
    )


# About 30 s of work on this machine (a 5,000 x 5,000 product takes 3 s).
SLOW = (
    "UNWIND range(1, 16000) AS a UNWIND range(1, 16000) AS b "
    "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(a) AS n"
)


def test_a_read_stops_at_the_requests_deadline(api_store) -> None:
    token = read_deadline.set(time.monotonic() + 0.3)
    started = time.perf_counter()
    try:
        with pytest.raises(StoreTimeout):
            api_store.inner.run_text(SLOW, write=False)
    finally:
        read_deadline.reset(token)
    assert time.perf_counter() - started < 2


async def test_the_time_budget_stops_a_request(api_settings, api_store, monkeypatch) -> None:
    def slow(store, ids):
        store.run_text(SLOW, write=False)  # a read that would run for a minute
        return {}

    monkeypatch.setattr(reads, "customers", slow)
    settings = api_settings.model_copy(update={"request_timeout_s": 0.5})
    app = create_app(settings, store_factory=lambda _s: api_store)
    headers = {"Authorization": f"Bearer {make_key(api_store.inner)}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            started = time.perf_counter()
            r = await c.post(
                "/graphql", json={"query": '{ customer(id: "x") { id } }'}, headers=headers
            )
            took = time.perf_counter() - started
    assert r.status_code == 503 and r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert took < 3, f"{took:.1f} s"


async def test_a_request_whose_client_goes_away_is_stopped(
    api_settings, api_store, monkeypatch
) -> None:
    """The client disconnects 0.3 s into a read that would run for a minute, within a
    budget of 4 s: the execution is stopped and the request ends (499, no one to answer)
    well before the budget. (The store still runs the read until the budget's timeout
    stops it there: a longer budget here held the test store for later tests.)"""

    def slow(store, ids):
        store.run_text(SLOW, write=False)
        return {}

    monkeypatch.setattr(reads, "customers", slow)
    settings = api_settings.model_copy(update={"request_timeout_s": 4.0})
    app = create_app(settings, store_factory=lambda _s: api_store)
    body = json.dumps({"query": '{ customer(id: "x") { id } }'}).encode()
    headers = [
        (b"authorization", f"Bearer {make_key(api_store.inner)}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("t", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(0.3)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        started = time.perf_counter()
        await app(scope, receive, send)
        took = time.perf_counter() - started
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [499]
    assert took < 2, f"{took:.1f} s"


async def test_introspection_can_be_switched_off(api_settings, api_store) -> None:
    settings = api_settings.model_copy(update={"introspection": False})
    app = create_app(settings, store_factory=lambda _s: api_store)
    headers = {"Authorization": f"Bearer {make_key(api_store.inner)}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            schema = await c.post(
                "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=headers
            )
            typename = await c.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert schema.status_code == 400
    assert schema.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert typename.json() == {"data": {"__typename": "Query"}}


async def test_cors_answers_preflights_of_configured_origins(api_settings, api_store) -> None:
    settings = api_settings.model_copy(update={"cors_origins": ["https://app.example"]})
    app = create_app(settings, store_factory=lambda _s: api_store)
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ok = await c.options("/graphql", headers={**preflight, "Origin": "https://app.example"})
            other = await c.options(
                "/graphql", headers={**preflight, "Origin": "https://x.example"}
            )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


async def test_page_sizes_are_capped(gql, seed) -> None:
    for k in range(3):
        seed.customer(f"crm:{k}", devices=["shared"])
    data = await gql.data(
        '{ customersByIdentifier(deviceId: "shared", first: 100000) { edges { node { id } } } }'
    )
    assert len(data["customersByIdentifier"]["edges"]) == 3


_PAGE = (
    'q{}: customer(id: "crm:1") '
    "{{ interactions(first: 100) {{ edges {{ node {{ id type channel occurredAt value }} }} }} }}"
)
# One read (the aliases share the request's loaders), then ~120,000 fields to complete: one
# long stretch of CPU. Its estimated cost (~120,000) is above heavy_query_cost.
HEAVY = "{ " + " ".join(_PAGE.format(i) for i in range(200)) + " }"
BIG = {"max_query_cost": 200_000, "max_aliases": 200, "max_query_tokens": 10_000}  # lets it in


def _cheap_while_heavy(url: str, headers: dict[str, str]) -> tuple[float, list[float]]:
    """How long the heavy query took, and the answer times of cheap ones sent meanwhile."""
    took: list[float] = []

    def heavy() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            started = time.perf_counter()
            assert c.post("/graphql", json={"query": HEAVY}).status_code == 200
            took.append(time.perf_counter() - started)

    cheap: list[float] = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        sender = threading.Thread(target=heavy)
        sender.start()
        time.sleep(0.02)
        while sender.is_alive():
            started = time.perf_counter()
            assert c.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
            cheap.append(time.perf_counter() - started)
        sender.join()
    return took[0], cheap


def test_a_cheap_query_is_answered_while_a_heavy_one_runs(api_settings, api_store, seed) -> None:
    """A query above heavy_query_cost runs on an event loop of its own, so cheap queries sent
    one after the other while it runs are answered between its steps instead of after it:
    how many are answered per second of it, against the same server with that switched off,
    in the same run (a busy machine slows both alike): the best of up to three rounds each,
    taken in turns (a further round only while the best rates fall short), so a burst of
    other work in one round does not decide. The clients run in a process of their own, as
    a user's would: in the server's process they took turns with it for Python's lock, a
    cost no real client adds. Measured: 3-11/s on the server's loop, 74-89/s apart (25-33/s
    apart with Python's own 5 ms thread switch instead of the server's 1 ms)."""
    seed.customer("crm:1")
    seed.interactions("crm:1", [{"eventId": f"e{i}", "ts": 1000 + i} for i in range(100)])
    headers = {"Authorization": f"Bearer {make_key(api_store.inner)}"}
    rate: dict[str, float] = {}
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as clients:
        clients.submit(time.sleep, 0).result()  # started before anything is timed
        for _ in range(3):
            for name, threshold in (("on the server's loop", 10**9), ("apart", 10_000)):
                settings = api_settings.model_copy(update={"heavy_query_cost": threshold, **BIG})
                with serving(create_app(settings, store_factory=lambda _s: api_store)) as url:
                    heavy, cheap = clients.submit(_cheap_while_heavy, url, headers).result()
                assert heavy > 0.1, f"the heavy query took {heavy * 1000:.0f} ms: not heavy enough"
                rate[name] = max(rate.get(name, 0.0), len(cheap) / heavy)
            if rate["apart"] > 3 * rate["on the server's loop"]:
                break
    assert rate["apart"] > 3 * rate["on the server's loop"], rate


def test_the_server_switches_threads_every_millisecond_while_it_runs(api_settings, api_store):
    """What lets the loop in between a heavy query's steps (the test above fails at Python's
    5 ms); the process's own interval comes back when the server stops."""
    before = sys.getswitchinterval()
    settings = api_settings.model_copy(update={"thread_switch_ms": 1.0})
    with serving(create_app(settings, store_factory=lambda _s: api_store)):
        assert sys.getswitchinterval() == 0.001
    assert sys.getswitchinterval() == before
