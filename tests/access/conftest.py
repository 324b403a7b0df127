"""A small town for access tests (the households tests' one, on the API's embedded store):
three homes, one decision-maker who refused marketing in one system, profiles with metrics,
served by the app; clients signed in by role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from app.api.app import create_app
from app.households.dna import all_household_ids, compute_dna
from app.households.resolve import resolve_households
from app.settings import Settings
from tests.api.conftest import (  # the API tests' store fixtures, shared
    NO_RATE_LIMIT,
    CountingStore,
    GraphQL,
    _api_session_store,  # noqa: F401
    api_settings,  # noqa: F401
    api_store,  # noqa: F401
    make_key,
)
from tests.households.conftest import Person

TODAY = date(2026, 1, 1)
ROLES = ("support", "steward", "marketer", "analyst", "admin", "self", "source")


@pytest.fixture
def town_settings(tmp_path) -> Settings:
    return Settings(
        store="falkordb",
        data_dir=tmp_path,
        graph_name="town",
        rate_limit_per_minute=NO_RATE_LIMIT,
    )


@pytest.fixture
def town(api_store: CountingStore, town_settings: Settings) -> CountingStore:  # noqa: F811
    """The Moss family (the owner consents), the Kowalskis (the decision-maker b1 said yes
    to the CRM and, later, no to the web shop), and Ida alone."""
    store = api_store.inner
    people = Person(store)
    for pid, role, consent in (
        ("a1", "owner", True),
        ("a2", "member", None),
        ("a3", "member", False),
    ):
        people.add(
            pid,
            "Moss",
            address="GB|LS1|1 elm street",
            accounts=[("MOSS", role)],
            dob="1970-01-01" if pid == "a1" else "2000-01-01",
            consent=consent,
            email=f"{pid}@moss.example",
            devices=[f"tab-{pid}"],
            events=[{"value": 500.0}],
        )
    for pid in ("b1", "b2", "b3"):
        people.add(
            pid,
            "Kowalski",
            address="GB|M1|7 oak road",
            consent=True,
            dob="1960-01-01" if pid == "b1" else "1990-01-01",
            email=f"{pid}@kowalski.example",
            events=[{"value": 20.0}],
        )
    people.record("b1", "W-B1", consent=False)
    people.add("c1", "Ida", address="GB|B1|2 ash row", email="ida@ash.example")
    resolve_households(store, town_settings, today=TODAY)
    compute_dna(store, town_settings, all_household_ids(store), today=TODAY)
    return api_store


@pytest.fixture
async def town_client(town, town_settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(town_settings, store_factory=lambda _s: town)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
            yield c


@pytest.fixture
def as_role(town_client, town):
    """A GraphQL client signed in with a key of one role (self: the person a2)."""

    def make(role: str) -> GraphQL:
        if role == "self":
            key = make_key(town.inner, "a2-herself", ["self"], customer_id="crm:a2")
            return GraphQL(town_client, None, {"Authorization": f"Bearer {key}"})
        return GraphQL(town_client, town.inner, name=f"key-{role}", roles=[role])

    return make


TOWN_QUERY = '{ profile(id: "a1") { id } }'
