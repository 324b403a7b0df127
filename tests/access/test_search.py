"""searchProfiles and the Profile 360 fields over GraphQL (app/api/search.py), by role, on
the access tests' small town (the Moss and Kowalski families and Ida; every first name Sam)."""

from __future__ import annotations

SEARCH = """query($text: String!, $first: Int, $after: String) {
  searchProfiles(text: $text, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { score matchedOn profile { id firstName lastName } } } } }"""


def _ids(data: dict) -> list[str]:
    return [e["node"]["profile"]["id"] for e in data["searchProfiles"]["edges"]]


async def test_a_misspelt_surname_finds_the_family(as_role) -> None:
    data = await as_role("support").data(SEARCH, text="Kowalsky")
    assert _ids(data) == ["b1", "b2", "b3"]
    assert data["searchProfiles"]["totalCount"] == 3
    node = data["searchProfiles"]["edges"][0]["node"]
    assert node["matchedOn"] == "name" and 0.8 <= node["score"] < 1
    assert node["profile"]["lastName"] == "Kowalski"


async def test_a_formal_first_name_and_a_typo_find_the_nickname(as_role) -> None:
    data = await as_role("support").data(SEARCH, text="Samuel Mos")
    assert _ids(data) == ["a1", "a2", "a3"]


async def test_an_email_finds_its_person_first(as_role) -> None:
    data = await as_role("support").data(SEARCH, text=" A1@Moss.example ")
    assert _ids(data) == ["a1"]
    assert data["searchProfiles"]["edges"][0]["node"]["matchedOn"] == "e-mail"


async def test_an_account_and_a_device_find_their_holders(as_role) -> None:
    client = as_role("support")
    assert _ids(await client.data(SEARCH, text="MOSS")) == ["a1", "a2", "a3"]
    assert _ids(await client.data(SEARCH, text="tab-a2")) == ["a2"]


async def test_results_page_on_with_the_total(as_role) -> None:
    client = as_role("support")
    first = await client.data(SEARCH, text="Kowalski", first=2)
    assert _ids(first) == ["b1", "b2"]
    assert first["searchProfiles"]["pageInfo"]["hasNextPage"] is True
    after = first["searchProfiles"]["pageInfo"]["endCursor"]
    rest = await client.data(SEARCH, text="Kowalski", first=2, after=after)
    assert _ids(rest) == ["b3"] and rest["searchProfiles"]["totalCount"] == 3


async def test_nothing_alike_finds_nothing(as_role) -> None:
    data = await as_role("support").data(SEARCH, text="Zebedee")
    assert data["searchProfiles"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }


async def test_a_marketer_finds_people_but_sees_names_masked(as_role) -> None:
    data = await as_role("marketer").data(SEARCH, text="Kowalski")
    assert len(_ids(data)) == 3
    assert all(
        e["node"]["profile"]["lastName"] != "Kowalski" for e in data["searchProfiles"]["edges"]
    )


PROFILE_360 = """query($id: ID!, $channels: [String!]) {
  profile(id: $id) {
    emails { email } accounts { accountId role } devices { deviceId }
    householdRole { role household { id size } }
    openAlerts { id }
    timeline(channels: $channels, first: 5) {
      totalCount edges { node { id customerId source type channel value } } } } }"""


async def test_the_360_gathers_all_records_identifiers_and_one_timeline(as_role) -> None:
    data = await as_role("support").data(PROFILE_360, id="a1")
    p = data["profile"]
    assert p["emails"] == [{"email": "a1@moss.example"}]
    assert p["accounts"] == [{"accountId": "MOSS", "role": "owner"}]
    assert p["devices"] == [{"deviceId": "tab-a1"}]
    assert p["householdRole"]["role"] == "decision_maker"
    assert p["householdRole"]["household"]["size"] == 3
    assert p["openAlerts"] == []
    assert p["timeline"]["totalCount"] == 1
    (entry,) = p["timeline"]["edges"]
    assert entry["node"] == {
        "id": "crm:a1-0",
        "customerId": "crm:a1",
        "source": "crm",
        "type": "purchase",
        "channel": "web",
        "value": 500.0,
    }


async def test_the_timeline_filters_by_channel(as_role) -> None:
    data = await as_role("support").data(PROFILE_360, id="a1", channels=["store"])
    assert data["profile"]["timeline"] == {"totalCount": 0, "edges": []}


async def test_a_bad_time_filter_is_refused_with_a_reason(as_role) -> None:
    body = await as_role("support")(
        '{ profile(id: "a1") { timeline(since: "yesterday") { totalCount } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ISO 8601" in body["errors"][0]["message"]


async def test_the_marketing_query_counts_every_page(as_role) -> None:
    query = "{ households(filter: {minMembers: 3}, first: 1) { totalCount edges { node { id } } } }"
    data = await as_role("marketer").data(query)
    assert data["households"]["totalCount"] == 2 and len(data["households"]["edges"]) == 1


async def test_contactable_only_counts_households_whose_decision_maker_consents(as_role) -> None:
    query = "{ households(filter: {contactableOnly: true}) { totalCount edges { node { id } } } }"
    data = await as_role("marketer").data(query)
    assert data["households"]["totalCount"] == len(data["households"]["edges"])
