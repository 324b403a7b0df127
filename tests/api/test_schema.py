"""Queries a client would send: customers with identifiers, assets and interactions."""

from __future__ import annotations

import pytest

CUSTOMER = """
query($id: ID!) {
  customer(id: $id) {
    id source sourceKey firstName lastName dateOfBirth gender updatedAt stub
    emails { email }
    phones { phone }
    addresses { addressId street city postcode country }
    accounts { accountId role }
    devices { deviceId firstSeen lastSeen }
    interactions(first: 2) {
      edges { cursor node { id type channel occurredAt value deviceId accountId } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""

BY_IDENTIFIER = """
query($email: String, $phone: String, $deviceId: String, $first: Int, $after: String) {
  customersByIdentifier(email: $email, phone: $phone, deviceId: $deviceId,
                        first: $first, after: $after) {
    edges { cursor node { id firstName emails { email } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INTERACTIONS = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    interactions(first: $first, after: $after) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


def _ada(seed) -> str:
    return seed.customer(
        "crm:1",
        emails=["ada@example.com"],
        phones=["+447700900123"],
        devices=["dev-1"],
        accounts=[("acc-9", "owner")],
        address={
            "addressId": "GB|SW1A1AA|1 high street",
            "street": "1 High Street",
            "city": "London",
            "postcode": "SW1A 1AA",
            "country": "GB",
        },
        dateOfBirth="1815-12-10",
        gender="F",
    )


async def test_customer_by_id_with_everything_nested(gql, seed) -> None:
    cid = _ada(seed)
    seed.interactions(
        cid,
        [
            {"eventId": "e1", "ts": 1000, "value": 12.5, "deviceId": "dev-1"},
            {"eventId": "e2", "ts": 3000, "type": "call", "channel": "phone", "accountId": "acc-9"},
            {"eventId": "e3", "ts": 2000},
        ],
    )
    customer = (await gql.data(CUSTOMER, id=cid))["customer"]
    assert customer["id"] == "crm:1"
    assert customer["source"] == "crm" and customer["sourceKey"] == "1"
    assert (customer["firstName"], customer["lastName"]) == ("Ada", "Lovelace")
    assert customer["dateOfBirth"] == "1815-12-10"
    assert customer["stub"] is False
    assert customer["emails"] == [{"email": "ada@example.com"}]
    assert customer["phones"] == [{"phone": "+447700900123"}]
    assert customer["addresses"] == [
        {
            "addressId": "GB|SW1A1AA|1 high street",
            "street": "1 High Street",
            "city": "London",
            "postcode": "SW1A 1AA",
            "country": "GB",
        }
    ]
    assert customer["accounts"] == [{"accountId": "acc-9", "role": "owner"}]
    assert customer["devices"] == [
        {"deviceId": "dev-1", "firstSeen": "2024-05-01T10:00:00", "lastSeen": "2024-05-01T10:00:00"}
    ]
    page = customer["interactions"]
    nodes = [e["node"] for e in page["edges"]]
    assert [n["id"] for n in nodes] == ["crm:e2", "crm:e3"]  # newest first
    assert nodes[0] == {
        "id": "crm:e2",
        "type": "call",
        "channel": "phone",
        "occurredAt": "ts-3000",
        "value": None,
        "deviceId": None,
        "accountId": "acc-9",
    }
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    rest = await gql.data(INTERACTIONS, id=cid, first=5, after=page["pageInfo"]["endCursor"])
    last = rest["customer"]["interactions"]
    assert [e["node"]["id"] for e in last["edges"]] == ["crm:e1"]
    assert last["pageInfo"]["hasNextPage"] is False
    assert last["pageInfo"]["hasPreviousPage"] is True


async def test_interaction_value_and_device(gql, seed) -> None:
    cid = seed.customer("crm:1")
    seed.interactions(cid, [{"eventId": "e1", "ts": 5, "value": 12.5, "deviceId": "dev-7"}])
    data = await gql.data(
        'query { customer(id: "crm:1") { interactions { edges { node { value deviceId } } } } }'
    )
    assert data["customer"]["interactions"]["edges"] == [
        {"node": {"value": 12.5, "deviceId": "dev-7"}}
    ]


async def test_unknown_customer_is_null(gql, seed) -> None:
    seed.customer("crm:1")
    assert await gql.data(CUSTOMER, id="crm:404") == {"customer": None}


async def test_customer_known_only_from_interactions_is_a_stub(gql, seed) -> None:
    seed.interactions("shop:77", [{"eventId": "o1", "ts": 10}])
    data = await gql.data(
        'query { customer(id: "shop:77") { id stub firstName emails { email } } }'
    )
    assert data["customer"] == {"id": "shop:77", "stub": True, "firstName": None, "emails": []}


async def test_customer_without_identifiers_has_empty_lists(gql, seed) -> None:
    seed.customer("crm:1")
    data = (await gql.data(CUSTOMER, id="crm:1"))["customer"]
    for field in ("emails", "phones", "addresses", "accounts", "devices"):
        assert data[field] == []
    assert data["interactions"]["edges"] == []
    assert data["interactions"]["pageInfo"]["hasNextPage"] is False


async def test_by_email_ignores_case_and_spaces(gql, seed) -> None:
    _ada(seed)
    seed.customer("crm:2", emails=["bob@example.com"], firstName="Bob")
    found = (await gql.data(BY_IDENTIFIER, email="  Ada@Example.COM "))["customersByIdentifier"]
    assert [e["node"]["id"] for e in found["edges"]] == ["crm:1"]
    assert found["edges"][0]["node"]["emails"] == [{"email": "ada@example.com"}]


async def test_by_phone_in_national_format(gql, seed) -> None:
    _ada(seed)
    for written in ("07700 900123", "+44 (0)7700-900123".replace("(0)", ""), "0044 7700 900123"):
        found = (await gql.data(BY_IDENTIFIER, phone=written))["customersByIdentifier"]
        assert [e["node"]["id"] for e in found["edges"]] == ["crm:1"], written


async def test_by_device_finds_every_customer_on_it(gql, seed) -> None:
    _ada(seed)
    seed.customer("shop:5", devices=["dev-1"], firstName="Ada")
    seed.customer("shop:6", devices=["dev-2"])
    found = (await gql.data(BY_IDENTIFIER, deviceId=" dev-1 "))["customersByIdentifier"]
    assert [e["node"]["id"] for e in found["edges"]] == ["crm:1", "shop:5"]
    assert found["pageInfo"]["hasNextPage"] is False


async def test_unknown_identifier_gives_an_empty_page(gql, seed) -> None:
    _ada(seed)
    found = (await gql.data(BY_IDENTIFIER, email="nobody@example.com"))["customersByIdentifier"]
    assert found == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_customers_by_identifier_pages_by_customer_id(gql, seed) -> None:
    ids = sorted(seed.customer(f"web:{n:03d}", devices=["kiosk"]) for n in range(7))
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await gql.data(BY_IDENTIFIER, deviceId="kiosk", first=3, after=after)
        conn = page["customersByIdentifier"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == ids
    assert pages == 3


async def test_interactions_walk_without_gaps_or_duplicates(gql, seed) -> None:
    cid = seed.customer("crm:1")
    # Ties on ts are ordered by interactionId, so the cursor must carry both.
    events = [{"eventId": f"e{n:02d}", "ts": 1_700_000_000_000 + (n // 3)} for n in range(23)]
    expected = sorted(
        seed.interactions(cid, events),
        key=lambda iid: (1_700_000_000_000 + int(iid[-2:]) // 3, iid),
        reverse=True,
    )
    seen: list[str] = []
    after = None
    while True:
        page = (await gql.data(INTERACTIONS, id=cid, first=4, after=after))["customer"][
            "interactions"
        ]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == expected
    assert len(set(seen)) == 23


async def test_first_is_capped_at_100(gql, seed) -> None:
    cid = seed.customer("crm:1")
    seed.interactions(cid, [{"eventId": f"e{n:03d}", "ts": n} for n in range(105)])
    page = (await gql.data(INTERACTIONS, id=cid, first=1000))["customer"]["interactions"]
    assert len(page["edges"]) == 100
    assert page["pageInfo"]["hasNextPage"] is True


async def _error(gql, query: str, **variables) -> dict:
    body = await gql(query, **variables)
    assert body.get("errors"), body
    return body


@pytest.mark.parametrize(
    "variables",
    [
        {"email": "ada@example.com", "phone": "07700900123"},
        {"email": "ada@example.com", "deviceId": "dev-1"},
        {},
    ],
)
async def test_identifier_arguments_must_be_exactly_one(gql, seed, variables) -> None:
    _ada(seed)
    body = await _error(gql, BY_IDENTIFIER, **variables)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    got = ", ".join(variables) or "none"
    assert error["message"] == (
        f"give exactly one of email, phone, deviceId or identifier (got {got})"
    )
    assert error["path"] == ["customersByIdentifier"]
    assert body["data"] == {"customersByIdentifier": None}


@pytest.mark.parametrize(
    ("variables", "text"),
    [
        ({"email": "not-an-address"}, "not an e-mail address"),
        ({"phone": "12"}, "not a phone number"),
        ({"deviceId": "   "}, "deviceId is empty"),
        ({"email": "ada@example.com", "first": -1}, "first must be 0 or more"),
        ({"email": "ada@example.com", "after": "bm9wZQ"}, "is not a cursor of this list"),
    ],
)
async def test_bad_arguments_are_bad_user_input(gql, seed, variables, text) -> None:
    _ada(seed)
    error = (await _error(gql, BY_IDENTIFIER, **variables))["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert text in error["message"]


async def test_a_cursor_of_another_list_is_refused(gql, seed) -> None:
    _ada(seed)
    seed.customer("crm:2", devices=["dev-1"])
    first = (await gql.data(BY_IDENTIFIER, deviceId="dev-1", first=1))["customersByIdentifier"]
    cursor = first["pageInfo"]["endCursor"]
    body = await _error(gql, INTERACTIONS, id="crm:1", after=cursor)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["path"] == ["customer", "interactions"]
