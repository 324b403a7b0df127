"""The household marketing query over GraphQL and its CSV export, through the ASGI app: the
filter, paging, and the consent rule (contact only where the decision-maker allows it)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from app.api.app import create_app
from app.households.dna import all_household_ids, compute_dna
from app.households.resolve import rehouse, resolve_households
from tests.api.conftest import CountingStore, GraphQL, make_key

TODAY = date(2026, 1, 1)

SEARCH = """
query($filter: HouseholdFilterInput, $first: Int, $after: String) {
  households(filter: $filter, first: $first, after: $after) {
    edges { node {
      id size services metric(name: "totalSpend")
      decisionMakerId contactWithheldReason
      decisionMakerContact { profileId lastName email }
      members { profileId role reason evidence }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def town(people, store, settings):
    """Three homes: the Moss family (3, the owner consents, broadband), the Kowalski family
    (3; the decision-maker said yes in one system and no in another), and Ida alone."""
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
            events=[
                {"value": 500.0},
                {
                    "value": 3000.0,
                    "type": "data_usage",
                    "channel": "broadband",
                    "accountId": "MOSS",
                },
            ],
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
    people.record("b1", "W-B1", consent=False)  # the eldest said no to the web shop
    people.add("c1", "Ida", address="GB|B1|2 ash row")
    resolve_households(store, settings, today=TODAY)
    compute_dna(store, settings, all_household_ids(store), today=TODAY)
    return store


@pytest.fixture
async def client(town, settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, store_factory=lambda _s: CountingStore(town))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
            yield c


@pytest.fixture
def gql(client, town) -> GraphQL:
    return GraphQL(client, town)


def _nodes(data: dict) -> list[dict]:
    return [e["node"] for e in data["households"]["edges"]]


async def test_consent_filter_holds_in_the_marketing_query(gql) -> None:
    data = await gql.data(SEARCH, filter={"minMembers": 3})
    homes = {n["members"][0]["profileId"]: n for n in _nodes(data)}
    assert set(homes) == {"a1", "b1"}  # decision-makers listed first; Ida's home is too small
    moss, kowalski = homes["a1"], homes["b1"]
    assert moss["decisionMakerContact"] == {
        "profileId": "a1",
        "lastName": "Moss",
        "email": "a1@moss.example",
    }
    assert moss["contactWithheldReason"] is None
    # a refusal in one record wins over a grant in another: no contact, and why
    assert kowalski["decisionMakerId"] == "b1"
    assert kowalski["decisionMakerContact"] is None
    assert kowalski["contactWithheldReason"] == "marketing consent refused in webshop:W-B1"

    only = await gql.data(SEARCH, filter={"minMembers": 3, "contactableOnly": True})
    assert [n["decisionMakerId"] for n in _nodes(only)] == ["a1"]


async def test_filter_by_group_dna_and_subscriptions_with_paging(gql) -> None:
    rich = await gql.data(SEARCH, filter={"metrics": [{"name": "totalSpend", "gte": 1000}]})
    assert [n["decisionMakerId"] for n in _nodes(rich)] == ["a1"]
    assert _nodes(rich)[0]["metric"] == 1500.0 and _nodes(rich)[0]["services"] == ["broadband"]
    top = await gql.data(SEARCH, filter={"metrics": [{"name": "totalSpend", "topShare": 0.1}]})
    assert [n["decisionMakerId"] for n in _nodes(top)] == ["a1"]
    no_fibre = await gql.data(SEARCH, filter={"lacksSubscription": "broadband"})
    assert sorted(n["decisionMakerId"] for n in _nodes(no_fibre)) == ["b1", "c1"]

    first = await gql.data(SEARCH, first=2)
    assert len(_nodes(first)) == 2 and first["households"]["pageInfo"]["hasNextPage"]
    rest = await gql.data(SEARCH, first=2, after=first["households"]["pageInfo"]["endCursor"])
    assert len(_nodes(rest)) == 1 and not rest["households"]["pageInfo"]["hasNextPage"]
    seen = {n["id"] for n in _nodes(first) + _nodes(rest)}
    assert len(seen) == 3


async def test_an_unknown_metric_is_a_clear_error(gql) -> None:
    body = await gql(SEARCH, filter={"metrics": [{"name": "wealth", "gte": 1}]})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "wealth" in error["message"] and "totalSpend" in error["message"]


async def test_household_by_id_and_from_a_profile(gql) -> None:
    query = """query { profile(id: "a2") { household { id size evidenceKinds
        members { profileId role reason evidence confidence profile { lastName } } } } }"""
    home = (await gql.data(query))["profile"]["household"]
    assert home["size"] == 3 and "account" in home["evidenceKinds"]
    dm = home["members"][0]
    assert (dm["profileId"], dm["role"], dm["reason"]) == (
        "a1",
        "decision_maker",
        "owner of shared account MOSS",
    )
    assert "account:MOSS" in home["members"][1]["evidence"]
    assert home["members"][1]["profile"] == {"lastName": "Moss"}
    again = await gql.data("query($id: ID!) { household(id: $id) { id } }", id=home["id"])
    assert again["household"]["id"] == home["id"]
    assert (await gql.data('query { household(id: "HH-none") { id } }'))["household"] is None


async def test_csv_export_applies_the_same_filter_and_consent(client, town) -> None:
    headers = {"Authorization": f"Bearer {make_key(town)}"}
    response = await client.get(
        "/export/households.csv", params={"minMembers": "3"}, headers=headers
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = {r["decisionMakerId"]: r for r in csv.DictReader(io.StringIO(response.text))}
    assert set(rows) == {"a1", "b1"}
    assert rows["a1"]["contactable"] == "yes" and rows["a1"]["email"] == "a1@moss.example"
    assert rows["b1"]["contactable"] == "no" and rows["b1"]["email"] == ""
    assert rows["b1"]["withheldReason"] == "marketing consent refused in webshop:W-B1"
    assert rows["a1"]["dna_members"] == "3"

    bad = await client.get(
        "/export/households.csv", params={"metric": "wealth:gte:1"}, headers=headers
    )
    assert bad.status_code == 400 and "wealth" in bad.text


async def test_a_move_shows_in_the_household_history(gql, people, town, settings) -> None:
    query = """query($p: ID!) { profile(id: $p) { household { id
        members(includeEnded: true) { profileId status role endReason until } } } }"""
    before = (await gql.data(query, p="a1"))["profile"]["household"]
    people.add("a3", "Moss", address="GB|B1|2 ash row")  # a3 moves in with Ida
    rehouse(town, settings, ["a3"], today=TODAY)

    now = (await gql.data(query, p="a3"))["profile"]["household"]
    assert {m["profileId"] for m in now["members"]} == {"a3", "c1"}
    old = (await gql.data(query, p="a1"))["profile"]["household"]
    assert old["id"] == before["id"]
    gone = next(m for m in old["members"] if m["profileId"] == "a3")
    assert gone["status"] == "ended" and gone["role"] == "member" and gone["until"]
    assert gone["endReason"] == f"moved to {now['id']}"
    assert [m["status"] for m in old["members"]] == ["current", "current", "ended"]


async def test_a_refusal_loaded_after_the_run_withholds_the_contact_at_once(gql, people) -> None:
    people.record("a1", "W-A1", consent=False)  # real time, no households run since
    only = await gql.data(SEARCH, filter={"minMembers": 3, "contactableOnly": True})
    assert _nodes(only) == []
    data = await gql.data(SEARCH, filter={"minMembers": 3})
    moss = next(n for n in _nodes(data) if n["decisionMakerId"] == "a1")
    assert moss["decisionMakerContact"] is None
    assert moss["contactWithheldReason"] == "marketing consent refused in webshop:W-A1"


async def test_a_members_purchase_updates_the_household_at_once(gql) -> None:
    spend = """query { profile(id: "b2") { household { id metric(name: "totalSpend") } } }"""
    before = (await gql.data(spend))["profile"]["household"]
    record = """mutation { recordInteraction(source: "crm", customerKey: "b2", type: "purchase",
        timestamp: "2025-03-02T09:00:00", value: 12.5, eventId: "b2-new") {
        profile { id } changes { metric } } }"""
    out = (await gql.data(record))["recordInteraction"]
    assert out["profile"]["id"] == "b2"
    after = (await gql.data(spend))["profile"]["household"]
    assert after["id"] == before["id"]
    assert after["metric"] == before["metric"] + 12.5  # Group DNA followed the event


async def test_group_dna_reads_back_as_stored_with_its_history_and_trend(
    gql, people, town, settings
) -> None:
    """A household's metrics through the API: value, history and trend as Customer DNA's
    storage reads them (a first value is its own one-point history, without a trend)."""
    query = """query($p: ID!) { profile(id: $p) { household { id
        metrics { name value history trend trendPct } } } }"""
    first = (await gql.data(query, p="c1"))["profile"]["household"]
    members = {m["name"]: m for m in first["metrics"]}["members"]
    assert members == {
        "name": "members",
        "value": 1.0,
        "history": [1.0],
        "trend": None,
        "trendPct": None,
    }
    people.add("a3", "Moss", address="GB|B1|2 ash row")  # a3 moves in with Ida
    rehouse(town, settings, ["a3"], today=TODAY)
    compute_dna(town, settings, [first["id"]], today=TODAY)

    now = (await gql.data(query, p="c1"))["profile"]["household"]
    assert now["id"] == first["id"]
    members = {m["name"]: m for m in now["metrics"]}["members"]
    assert (members["value"], members["history"], members["trendPct"]) == (2.0, [1.0, 2.0], 100.0)
