"""GraphQL over HTTP: GET and POST, status codes, error codes, GraphiQL for browsers."""

from __future__ import annotations

import json

import pytest

from app.api.endpoint import prefers_html
from tests.api.conftest import make_key

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
QUERY = '{ customer(id: "crm:1") { id firstName } }'


async def test_get_runs_a_query(client, seed) -> None:
    seed.customer("crm:1")
    response = await client.get(
        "/graphql", params={"query": QUERY}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"customer": {"id": "crm:1", "firstName": "Ada"}}}


async def test_get_with_variables_and_operation_name(client, seed) -> None:
    seed.customer("crm:1")
    document = """
    query One($id: ID!) { customer(id: $id) { id } }
    query Other { customer(id: "nope") { id } }
    """
    params = {
        "query": document,
        "variables": json.dumps({"id": "crm:1"}),
        "operationName": "One",
    }
    response = await client.get("/graphql", params=params)  # httpx sends Accept: */*
    assert response.json() == {"data": {"customer": {"id": "crm:1"}}}


async def test_post_with_operation_name(client, seed) -> None:
    seed.customer("crm:1")
    body = {
        "query": 'query A { customer(id: "crm:1") { id } } query B { customer(id: "x") { id } }',
        "operationName": "B",
    }
    response = await client.post("/graphql", json=body)
    assert response.status_code == 200
    assert response.json() == {"data": {"customer": None}}


async def test_mutation_over_get_is_refused(client) -> None:
    response = await client.get(
        "/graphql",
        params={"query": "mutation { anything }"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in error["message"]


async def test_mutation_over_post_is_not_refused_for_its_method(client) -> None:
    query = 'mutation { splitCustomer(customerId: "crm:1", reason: "r") { profile { id } } }'
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200  # it ran, and the flow refused the unknown record
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "crm:1 is in no profile" in error["message"]


async def test_syntax_error(client) -> None:
    response = await client.post("/graphql", json={"query": "{ customer(id: "})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["locations"] == [{"line": 1, "column": 16}]


async def test_unknown_field(client) -> None:
    response = await client.post("/graphql", json={"query": "{ customer(id: 1) { shoeSize } }"})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "shoeSize" in error["message"]


async def test_variables_of_the_wrong_type(client) -> None:
    body = {"query": "query($id: ID!) { customer(id: $id) { id } }", "variables": {"id": None}}
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('{"variables": {}}', "application/json", 400),
        ("query=x", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_bodies_that_are_not_a_graphql_request(client, content, content_type, status) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_without_a_query_from_an_api_client(client) -> None:
    response = await client.get("/graphql", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "no GraphQL query" in response.json()["errors"][0]["message"]


async def test_browser_gets_graphiql(client) -> None:
    response = await client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for name in ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"):
        assert f'src="/static/vendor/{name}"' in page
    assert 'href="/static/vendor/graphiql.min.css"' in page
    assert 'data-endpoint="/graphql"' in page
    # and the files it names are served
    script = await client.get("/static/vendor/graphiql.min.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 1_000_000


def test_content_negotiation() -> None:
    assert prefers_html(BROWSER_ACCEPT)
    assert prefers_html("text/html")
    assert not prefers_html("*/*")
    assert not prefers_html("")
    assert not prefers_html("application/json")
    assert not prefers_html("application/json, text/html")
    assert not prefers_html("text/html;q=0.5, application/json")
    assert prefers_html("application/json;q=0.2, text/html")


async def test_oversized_body_is_refused(client) -> None:
    query = '{ customer(id: "' + "x" * (1 << 20) + '") { id } }'
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_document_sent_again_gets_the_same_answers(client, seed, api_store) -> None:
    """Documents are parsed and checked once per text (app/api/documents.py): sent again,
    the same document is refused, allowed and answered exactly as the first time, for each
    identity with its own roles."""
    seed.customer("crm:1")
    invalid = {"query": "{ customer(id: 1) { shoeSize } }"}
    refusals = [await client.post("/graphql", json=invalid) for _ in range(2)]
    assert [r.status_code for r in refusals] == [400, 400]
    assert refusals[0].json() == refusals[1].json()
    marketer = {"Authorization": f"Bearer {make_key(api_store.inner, 'm', ['marketer'])}"}
    for _ in range(2):
        allowed = await client.post("/graphql", json={"query": QUERY})
        assert allowed.json() == {"data": {"customer": {"id": "crm:1", "firstName": "Ada"}}}
        refused = await client.post("/graphql", json={"query": QUERY}, headers=marketer)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for other in ("crm:2", "crm:3"):  # the same text with other variables
        seed.customer(other, firstName=other)
        body = {"query": "query($id: ID!) { customer(id: $id) { firstName } }"}
        response = await client.post("/graphql", json={**body, "variables": {"id": other}})
        assert response.json() == {"data": {"customer": {"firstName": other}}}
