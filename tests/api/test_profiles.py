"""Profiles over GraphQL on a resolved synthetic population: members, golden attributes, the
confidence dial, and Customer.profile in batches. These tests only read."""

from __future__ import annotations

import pytest

PROFILE = """
query($id: ID!, $min: Float) {
  profile(id: $id, minConfidence: $min) {
    id status mergedInto requestedId
    firstName lastName dateOfBirth email phone addressId street city postcode
    size sources sparse absorbed splitFrom createdAt updatedAt minConfidence
    customers { id source firstName profile { id } profileConfidence }
    materialisedCustomerIds
  }
}
"""

GOLDEN = {
    "firstName": "firstName",
    "lastName": "lastName",
    "dateOfBirth": "dateOfBirth",
    "email": "email",
    "phone": "phone",
    "addressId": "addressId",
    "street": "street",
    "city": "city",
    "postcode": "postcode",
}


@pytest.fixture(autouse=True)
def _graph(resolved) -> None:
    """Every test here reads the module's resolved graph."""


def _members(resolved) -> dict[str, list[tuple[str, float]]]:
    """profileId -> [(customerId, confidence)] as stored."""
    out: dict[str, list[tuple[str, float]]] = {}
    for row in resolved.rows(
        "MATCH (c:Customer)-[r:RESOLVES_TO]->(p:Profile) "
        "RETURN p.profileId AS p, c.customerId AS c, r.confidence AS conf"
    ):
        out.setdefault(row["p"], []).append((row["c"], row["conf"]))
    return out


async def test_profile_by_id_with_customers_and_golden_attributes(resolved, resolved_gql) -> None:
    members = _members(resolved)
    pid = min(p for p, m in members.items() if len(m) == max(len(x) for x in members.values()))
    stored = resolved.rows("MATCH (p:Profile {profileId: $id}) RETURN properties(p) AS p", id=pid)
    props = stored[0]["p"]

    profile = (await resolved_gql.data(PROFILE, id=pid))["profile"]

    ids = sorted(c for c, _ in members[pid])
    assert profile["id"] == pid and profile["status"] == "active"
    assert profile["requestedId"] is None and profile["mergedInto"] is None
    assert profile["minConfidence"] is None
    assert [c["id"] for c in profile["customers"]] == ids
    assert profile["materialisedCustomerIds"] == ids
    assert profile["size"] == len(ids) >= 2
    assert profile["sources"] == sorted({c.split(":", 1)[0] for c in ids})
    assert all(c["profile"]["id"] == pid for c in profile["customers"])
    confidence = dict(members[pid])
    assert {c["id"]: c["profileConfidence"] for c in profile["customers"]} == confidence
    for field, prop in GOLDEN.items():
        assert profile[field] == props.get(prop), field
    # Survivorship picks each golden value from one of the member records.
    records = resolved.rows(
        "UNWIND $ids AS id MATCH (c:Customer {customerId: id}) RETURN c.firstName AS f, "
        "c.lastName AS l, c.dateOfBirth AS d",
        ids=ids,
    )
    assert profile["firstName"] in {r["f"] for r in records}
    assert profile["lastName"] in {r["l"] for r in records}
    assert profile["dateOfBirth"] in {r["d"] for r in records}
    assert profile["sparse"] is False and profile["absorbed"] == [] and profile["splitFrom"] == []
    assert profile["createdAt"] and profile["updatedAt"]


async def test_unknown_profile_is_null_and_a_bad_dial_is_refused(resolved_gql) -> None:
    assert (await resolved_gql.data(PROFILE, id="PR-000000000000"))["profile"] is None

    body = await resolved_gql(PROFILE, id="PR-000000000000", min=1.5)
    assert body["data"] == {"profile": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["profile"]
    assert "minConfidence" in error["message"]


async def test_dial_at_0_999_shrinks_a_profile_and_keeps_the_materialised_ids(
    resolved, resolved_gql
) -> None:
    # A profile with a member whose best edge inside it is below 0.999: at that dial no
    # edge that counts reaches it.
    members = _members(resolved)
    pid = min(p for p, m in members.items() if len(m) >= 2 and min(c for _, c in m) < 0.999)
    ids = sorted(c for c, _ in members[pid])

    dialled = (await resolved_gql.data(PROFILE, id=pid, min=0.999))["profile"]
    plain = (await resolved_gql.data(PROFILE, id=pid))["profile"]

    shown = [c["id"] for c in dialled["customers"]]
    assert dialled["id"] == pid and dialled["minConfidence"] == 0.999
    assert len(shown) < len(ids)
    anchor = min(members[pid], key=lambda m: (-m[1], m[0]))[0]  # the dial starts there
    assert anchor in shown
    assert dialled["materialisedCustomerIds"] == ids == plain["materialisedCustomerIds"]
    assert [c["id"] for c in plain["customers"]] == ids
    assert dialled["size"] == plain["size"] == len(ids)  # size is the stored profile's


CUSTOMER_PROFILES = """
query($first: Int) {
  reviewQueue(minProbability: 0, maxProbability: 1, first: $first) {
    edges { node {
      a { id profile { id size customers { id } } profileConfidence }
      b { id profile { id size } }
    } }
  }
}
"""


async def test_customer_profile_is_batched(resolved, resolved_gql) -> None:
    """Customer.profile for every record of a page: one store read for all the profiles and
    one for all their members, however many records the page has."""
    membership = {c: p for p, m in _members(resolved).items() for c, _ in m}
    resolved.store.reset_counts()
    data = await resolved_gql.data(CUSTOMER_PROFILES, first=100)
    edges = data["reviewQueue"]["edges"]
    assert len(edges) >= 5
    for edge in edges:
        for side in ("a", "b"):
            customer = edge["node"][side]
            assert customer["profile"]["id"] == membership[customer["id"]]
        a = edge["node"]["a"]
        assert a["id"] in [c["id"] for c in a["profile"]["customers"]]
    queries = resolved.store.queries
    assert queries.count("review_queue") == 1
    assert queries.count("api_customer_profiles") == 1
    assert queries.count("api_profile_members") == 1
    assert "api_profiles" not in queries  # the profile came with the membership
