"""Nested fields of many customers cost a fixed number of store round trips, not one each."""

from __future__ import annotations

NESTED = """
query($device: String!, $first: Int) {
  customersByIdentifier(deviceId: $device, first: $first) {
    edges { node {
      id firstName
      emails { email } phones { phone } addresses { city }
      accounts { accountId role } devices { deviceId }
      interactions(first: 2) { edges { node { id deviceId accountId } } }
    } }
  }
}
"""


def _people(seed, n: int) -> None:
    for k in range(n):
        cid = seed.customer(
            f"crm:{k:03d}",
            emails=[f"p{k}@example.com"],
            phones=[f"+4477009{k:05d}"],
            devices=["shared-tablet", f"phone-{k}"],
            accounts=[(f"acc-{k}", "owner")],
            address={"addressId": f"a{k}", "street": f"{k} Road", "city": "Leeds"},
        )
        seed.interactions(
            cid, [{"eventId": f"{k}-{e}", "ts": e, "deviceId": f"phone-{k}"} for e in range(3)]
        )


async def _round_trips(gql, api_store, n: int) -> tuple[int, list[str], dict]:
    api_store.reset_counts()
    data = await gql.data(NESTED, device="shared-tablet", first=100)
    return api_store.round_trips, sorted(api_store.queries), data


async def test_nested_fields_are_batched(gql, seed, api_store) -> None:
    _people(seed, 3)
    few, few_queries, _ = await _round_trips(gql, api_store, 3)
    _people(seed, 40)  # crm:000-002 again (unchanged) plus 37 more
    many, many_queries, data = await _round_trips(gql, api_store, 40)

    edges = data["customersByIdentifier"]["edges"]
    assert len(edges) == 40
    node = next(e["node"] for e in edges if e["node"]["id"] == "crm:017")
    assert node["emails"] == [{"email": "p17@example.com"}]
    assert node["addresses"] == [{"city": "Leeds"}]
    assert {d["deviceId"] for d in node["devices"]} == {"shared-tablet", "phone-17"}
    assert [e["node"]["id"] for e in node["interactions"]["edges"]] == ["crm:17-2", "crm:17-1"]

    # One read for the page of customers, one per nested kind, whatever the page size; and
    # the access layer's two: the key's check (a read) and the PII-read audit (a write).
    assert many == few == 5 + 2
    assert (
        many_queries
        == few_queries
        == [
            "access_key_get",
            "api_customer_accounts",
            "api_customer_devices",
            "api_customer_identifiers",
            "api_customer_interactions",
            "api_customers_by_device",
        ]
    )


async def test_one_request_reads_each_customer_once(gql, seed, api_store) -> None:
    _people(seed, 2)
    api_store.reset_counts()
    query = """
    query {
      a: customer(id: "crm:000") { id emails { email } }
      b: customer(id: "crm:001") { id emails { email } phones { phone } }
      c: customer(id: "crm:000") { firstName }
    }
    """
    data = await gql.data(query)
    assert data["a"]["emails"] == [{"email": "p0@example.com"}]
    assert data["c"] == {"firstName": "Ada"}
    assert sorted(api_store.queries) == [
        "access_key_get",
        "api_customer_identifiers",
        "api_customers",
    ]


async def test_different_pages_of_interactions_are_read_separately(gql, seed, api_store) -> None:
    _people(seed, 2)
    api_store.reset_counts()
    query = """
    query {
      a: customer(id: "crm:000") { interactions(first: 1) { edges { node { id } } } }
      b: customer(id: "crm:001") { interactions(first: 1) { edges { node { id } } } }
      c: customer(id: "crm:001") { interactions(first: 3) { edges { node { id } } } }
    }
    """
    data = await gql.data(query)
    assert len(data["c"]["interactions"]["edges"]) == 3
    assert len(data["a"]["interactions"]["edges"]) == 1
    # One read for both customers; one more for the other page size.
    assert api_store.queries.count("api_customer_interactions") == 2
