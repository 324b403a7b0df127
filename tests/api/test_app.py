"""The app's lifespan, health check and routes, on a store the app opens and closes itself."""

from __future__ import annotations

import httpx

from app.api.app import create_app
from tests.api.conftest import make_key

QUERY = '{ customer(id: "crm:1") { id firstName } }'


async def test_health(client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "store": {"backend": "falkordb", "ready": True}}


async def test_root_redirects_to_graphql(client) -> None:
    response = await client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/graphql"


async def test_other_methods_are_refused(client) -> None:
    response = await client.put("/graphql", json={"query": QUERY})
    assert response.status_code == 405


async def test_lifespan_opens_and_closes_the_store(api_settings, tmp_path) -> None:
    """The default factory opens the configured store at startup (a fresh, empty one is ready
    at once); it serves until the store goes away, then health says 503 and queries fail
    without leaking details."""
    settings = api_settings.model_copy(update={"data_dir": tmp_path, "graph_name": "own"})
    app = create_app(settings)
    assert not hasattr(app.state, "store")  # nothing is opened before startup
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        store = app.state.store
        assert (await client.get("/health")).status_code == 200
        client.headers["Authorization"] = f"Bearer {make_key(store)}"
        response = await client.post("/graphql", json={"query": QUERY})
        assert response.json() == {"data": {"customer": None}}
        store.write_batches(
            "upsert_customers",
            [{"customerId": "crm:1", "props": {"source": "crm", "firstName": "Ada"}}],
            batch_size=10,
        )
        response = await client.post("/graphql", json={"query": QUERY})
        assert response.json() == {"data": {"customer": {"id": "crm:1", "firstName": "Ada"}}}

        store.close()  # the embedded server is really gone

        health = await client.get("/health")
        assert health.status_code == 503
        assert health.json() == {
            "status": "unavailable",
            "store": {"backend": "falkordb", "ready": False},
        }
        response = await client.post("/graphql", json={"query": QUERY})
        body = response.json()
        # The key is checked in the store: with the store gone, nobody can be signed in.
        assert response.status_code == 503
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "STORE_UNAVAILABLE"
        assert "redis" not in response.text.lower() and "Traceback" not in response.text
