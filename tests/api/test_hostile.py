"""A hostile caller through GraphQL, on both backends: keys the embedded store crashed on, NUL
bytes, 100,000-deep variables, a second performer for an event (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.api.app import create_app
from app.settings import Settings
from app.store import GraphStore
from tests.api.conftest import CountingStore, GraphQL

RECORD = """mutation($source: String!, $key: String!, $event: String) {
  recordInteraction(source: $source, customerKey: $key, type: "purchase",
                    timestamp: "2025-01-01T10:00:00", eventId: $event) { interactionId }
}"""
UPSERT = """mutation($source: String!, $key: String!) {
  upsertCustomerRecord(source: $source, record: {sourceKey: $key, firstName: "Ann"}) {
    action } }"""


@pytest.fixture
async def gql_any(store: GraphStore, backend_settings: Settings) -> AsyncIterator[GraphQL]:
    app = create_app(backend_settings, store_factory=lambda _s: CountingStore(store))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield GraphQL(client, store, name="hostile")


def _code(body: dict) -> str:
    return body["errors"][0]["extensions"]["code"]


@pytest.mark.parametrize(
    ("source", "key", "words"),
    [
        ("crm", "a" * 5000, "customerKey: 5,000 characters long; at most 512"),
        ("crm", "\x01K", "customerKey: contains a control character (U+0001)"),
        ("\n MATCH (n) DETACH DELETE n", "K1", "source: a source system's name is"),
        ("crm:x", "K1", "source: a source system's name is"),
    ],
    ids=["long key", "control key", "cypher source", "colon source"],
)
async def test_hostile_keys_are_bad_input_and_the_store_serves(
    gql_any: GraphQL, store: GraphStore, source: str, key: str, words: str
) -> None:
    body = await gql_any(RECORD, source=source, key=key, event="E1")
    assert _code(body) == "BAD_USER_INPUT" and words in body["errors"][0]["message"]
    if source != "crm":
        body = await gql_any(UPSERT, source=source, key=key)
        assert _code(body) == "BAD_USER_INPUT"
    assert store.ping()
    health = await gql_any.client.get("/health")
    assert health.status_code == 200
    body = await gql_any(RECORD, source="crm", key="K1", event="E2")
    assert body["data"]["recordInteraction"]["interactionId"] == "crm:E2"


async def test_a_key_with_a_newline_inside_is_trimmed_to_one_space(gql_any: GraphQL) -> None:
    body = await gql_any(RECORD, source="crm", key="\nK\n1\n", event="E3")
    assert "errors" not in body, body
    body = await gql_any('{ customer(id: "crm:K 1") { id stub } }')
    assert body["data"]["customer"] == {"id": "crm:K 1", "stub": True}


async def test_nul_bytes_are_bad_input_not_a_store_outage(gql_any: GraphQL) -> None:
    body = await gql_any("query($id: ID!) { customer(id: $id) { id } }", id="crm:\x00")
    assert gql_any.response.status_code == 400 and _code(body) == "BAD_USER_INPUT"
    assert "NUL" in body["errors"][0]["message"]
    body = await gql_any('{ customersByIdentifier(deviceId: "D\\u0000") { edges { cursor } } }')
    assert gql_any.response.status_code == 400 and _code(body) == "BAD_USER_INPUT"


async def test_variables_nested_100000_deep_are_a_bad_request(gql_any: GraphQL) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = await gql_any.client.post(
        "/graphql",
        content='{"query": "{ __typename }", "variables": {"a": ' + deep + "}}",
        headers={**gql_any.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    nested: object = 1
    for _ in range(40):
        nested = [nested]
    body = await gql_any("{ __typename }", a=nested)
    assert gql_any.response.status_code == 400 and "deeper than 32" in body["errors"][0]["message"]


async def test_an_event_id_belongs_to_one_performer(gql_any: GraphQL, store: GraphStore) -> None:
    assert "errors" not in await gql_any(RECORD, source="crm", key="A", event="E9")
    body = await gql_any(RECORD, source="crm", key="B", event="E9")
    assert _code(body) == "BAD_USER_INPUT"
    assert "already belongs to another customer" in body["errors"][0]["message"]
    assert "errors" not in await gql_any(RECORD, source="crm", key="A", event="E9")  # again: fine
    rows, _ = store.run_text(
        "MATCH (c:Customer)-[:PERFORMED]->(i:Interaction {interactionId: 'crm:E9'}) "
        "RETURN c.customerId AS c",
        write=False,
    )
    assert rows == [{"c": "crm:A"}]
