"""The role matrix: every query, mutation, export and page, tried by every role. The expected
table is written out here, from the issue's description of the roles, not derived from the
policy module: a change of policy shows up as a failing cell."""

from __future__ import annotations

import pytest

from tests.access.conftest import ROLES

S, T, M, A, D, F, SRC = "support", "steward", "marketer", "analyst", "admin", "self", "source"

# operation -> (GraphQL document or route, roles allowed)
QUERIES: dict[str, tuple[str, set[str]]] = {
    "customer": ('{ customer(id: "crm:a1") { id } }', {S, T, A, D}),
    "customersByIdentifier": (
        '{ customersByIdentifier(email: "a1@moss.example") { edges { node { id } } } }',
        {S, T, A, D},
    ),
    "profile": ('{ profile(id: "a1") { id } }', {S, T, M, A, D}),
    "searchProfiles": ('{ searchProfiles(text: "Moss") { totalCount } }', {S, T, M, A, D}),
    "reviewQueue": ("{ reviewQueue { edges { node { probability } } } }", {T, A, D}),
    "households": ("{ households { edges { node { id } } } }", {S, T, M, A, D}),
    "household": ('{ household(id: "HH-x") { id } }', {S, T, M, A, D}),
    "metricDefinitions": ("{ metricDefinitions { name } }", {T, M, A, D}),
    "alertRules": ("{ alertRules { name } }", {T, M, A, D}),
    "alerts": ("{ alerts { edges { node { id } } } }", {S, T, A, D}),
    "auditTrail": ("{ auditTrail { totalCount edges { node { action } } } }", {T, A, D}),
    "myData": ("{ myData }", {F}),
    "subjectAccess": ('{ subjectAccess(profileId: "a1") }', {D}),
}
MUTATIONS: dict[str, tuple[str, set[str]]] = {
    "confirmMatch": (
        'mutation { confirmMatch(a: "crm:x", b: "crm:y", reason: "r") { previousStatus } }',
        {T, D},
    ),
    "rejectMatch": (
        'mutation { rejectMatch(a: "crm:x", b: "crm:y", reason: "r") { previousStatus } }',
        {T, D},
    ),
    "mergeProfiles": (
        'mutation { mergeProfiles(ids: ["x", "y"], reason: "r") { retiredIds } }',
        {T, D},
    ),
    "splitCustomer": (
        'mutation { splitCustomer(customerId: "crm:x", reason: "r") { __typename } }',
        {T, D},
    ),
    "upsertCustomerRecord": (
        'mutation { upsertCustomerRecord(source: "crm", record: {sourceKey: "n1"}) { action } }',
        {SRC, D},
    ),
    "recordInteraction": (
        'mutation { recordInteraction(source: "crm", customerKey: "zz", type: "purchase", '
        'timestamp: "not a time") { interactionId } }',
        {SRC, D},
    ),
    "updateAccount": (
        'mutation { updateAccount(accountId: "NOPE", attributes: [{name: "planMb", value: "1"}]) '
        "{ accountId } }",
        {SRC, D},
    ),
    "defineMetric": ("mutation { defineMetric(definition: {name: 1}) { name } }", {D}),
    "defineAlertRule": (
        'mutation { defineAlertRule(rule: {name: "Bad Name", metric: "m", condition: "x", '
        "threshold: 1}) { name } }",
        {D},
    ),
    "removeAlertRule": ('mutation { removeAlertRule(name: "nope") }', {D}),
    "acknowledgeAlert": ('mutation { acknowledgeAlert(id: "AL-none") { id } }', {S, D}),
    "setConsent": (
        'mutation { setConsent(customerId: "crm:a2", purpose: "nonsense", granted: true) '
        "{ customerId } }",
        {S, D, F},
    ),
    "eraseProfile": ('mutation { eraseProfile(id: "PR-none", reason: "r") { records } }', {D}),
}
ROUTES: dict[str, tuple[str, set[str]]] = {
    "export": ("/export/households.csv", {M, A, D}),
    "my page": ("/me", {F}),
    "my data as JSON": ("/me.json", {F}),
    "subject-access page": ("/subject-access/a1", {D}),
    "subject-access JSON": ("/subject-access/a1.json", {D}),
    "search page": ("/ui", {S, T, M, A, D}),
    "search results": ("/ui/search?q=Mos", {S, T, M, A, D}),
    "Profile 360": ("/ui/profiles/a1", {S, T, M, A, D}),
    "confidence dial": ("/ui/profiles/a1/dial?minConfidence=0.9", {S, T, A, D}),
    "steward desk": ("/ui/desk", {T, D}),
    "audit panel": ("/ui/desk/audit", {T, D}),
    "segment builder": ("/ui/segments", {S, T, M, A, D}),
    "segment count": ("/ui/segments/results?minMembers=2&metric=totalSpend&gte=1", {S, T, M, A, D}),
}


def _cells(table: dict[str, tuple[str, set[str]]]) -> list[tuple[str, str]]:
    return [(op, role) for op in table for role in ROLES]


@pytest.mark.parametrize(("operation", "role"), _cells({**QUERIES, **MUTATIONS}))
async def test_graphql_matrix(as_role, operation: str, role: str) -> None:
    document, allowed = {**QUERIES, **MUTATIONS}[operation]
    client = as_role(role)
    body = await client(document)
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    if role in allowed:
        assert client.response.status_code == 200 and "FORBIDDEN" not in codes, body
        assert "data" in body, body
    else:
        assert client.response.status_code == 403, body
        assert codes and set(codes) == {"FORBIDDEN"}
        assert "data" not in body


@pytest.mark.parametrize(("route", "role"), _cells(ROUTES))
async def test_route_matrix(as_role, route: str, role: str) -> None:
    path, allowed = ROUTES[route]
    client = as_role(role)
    response = await client.client.get(path, headers=client.headers)
    if role in allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_opens_graphiql_and_nobody_without_a_key(as_role, role) -> None:
    client = as_role(role)
    headers = {**client.headers, "Accept": "text/html"}
    page = await client.client.get("/graphql", headers=headers)
    assert page.status_code == 200  # GraphiQL, vendored by make install
    assert "text/html" in page.headers["content-type"]
    nobody = await client.client.get("/graphql", headers={"Accept": "text/html"})
    assert nobody.status_code == 303 and nobody.headers["location"].startswith("/auth/sign-in")


def test_every_operation_of_the_schema_is_in_the_matrix() -> None:
    from app.api.schema import schema

    s = schema.graphql_schema
    assert s.query_type is not None and s.mutation_type is not None
    assert set(s.query_type.fields) == set(QUERIES)
    assert set(s.mutation_type.fields) == set(MUTATIONS)


def test_every_object_type_of_the_schema_has_a_reader_or_is_open():
    """A new type nobody placed in the policy is refused to every role (fail closed); this
    names it before a user meets the refusal."""
    from graphql import GraphQLObjectType

    from app.access import policy
    from app.api.schema import schema

    unplaced = sorted(
        name
        for name, kind in schema.graphql_schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and not name.startswith("__")
        and policy.type_capability(name) is None
        and name not in policy.OPEN_TYPES
    )
    assert unplaced == []
