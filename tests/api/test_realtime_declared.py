"""upsertCustomerRecord with declared identifiers and attributes, over pseudopeople's small
town (tests/fixtures/pseudopeople: its social security and W-2 mappings declare the SSN as
`nationalId`, and keep attributes): a record sent in real time carries them as a file's
row does, they join and place it as batch does, and a partial update keeps or clears them;
the search box finds a national ID however it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api.realtime import record_fields
from app.errors import InputError
from app.ingestion.batch import load_directory
from app.ingestion.fields import CUSTOMER_FIELDS
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.realtime import MAX_ATTRIBUTES
from app.settings import Settings
from tests.api.conftest import CountingStore, GraphQL

TOWN = Path(__file__).resolve().parents[1] / "fixtures" / "pseudopeople"
UPSERT = """
mutation($source: String!, $record: CustomerRecordInput!) {
  upsertCustomerRecord(source: $source, record: $record) {
    action
    customer { id declaredIdentifiers { type value } attributes { name value } }
    profile { id customers { id } }
  }
}
"""
# In the fixture: Garland Roehrich's social security record and its SSN.
SSA_KEY, SSN = "ssa:S000240", "160-69-0961"


@pytest.fixture
def town(api_store: CountingStore, api_settings: Settings) -> MatchModel:
    """The town loaded, trained without labels (the model saved, as `idgraph train` does)
    and resolved."""
    store = api_store.inner
    load_directory(store, TOWN, api_settings, show_progress=False)
    model = learn(store, api_settings).model
    model.save(api_settings.model_file)
    resolve(store, api_settings, model)
    return model


def _profile_of(api_store: CountingStore, customer_id: str) -> str:
    (row,) = api_store.inner.read("profile_memberships_of", ids=[customer_id])
    return str(row["profileId"])


async def test_a_national_id_sent_in_real_time_joins_the_record_that_shares_it(
    town: MatchModel, gql: GraphQL, api_store: CountingStore, api_settings: Settings
) -> None:
    """A W-2 record sent over GraphQL with nothing in common with Garland Roehrich's social
    security record but the SSN joins its profile, as a batch run then agrees."""
    record = {
        "sourceKey": "W-RT",
        "street": "9 Elm St",
        "city": "Springfield",
        "identifiers": [{"type": "nationalId", "value": SSN}],
    }
    out = (await gql.data(UPSERT, source="w2", record=record))["upsertCustomerRecord"]
    assert out["action"] == "JOINED"
    # normalised as a file's value is: the digits
    assert out["customer"]["declaredIdentifiers"] == [{"type": "nationalId", "value": "160690961"}]
    assert out["profile"]["id"] == _profile_of(api_store, SSA_KEY)
    resolve(api_store.inner, api_settings, town)
    assert _profile_of(api_store, "w2:W-RT") == _profile_of(api_store, SSA_KEY)
    # The SSN cleared (null): nothing else ties the record to Garland Roehrich any more.
    cleared = {"sourceKey": "W-RT", "identifiers": [{"type": "nationalId", "value": None}]}
    out = (await gql.data(UPSERT, source="w2", record=cleared))["upsertCustomerRecord"]
    assert (out["action"], out["customer"]["declaredIdentifiers"]) == ("MOVED", [])
    assert out["profile"]["customers"] == [{"id": "w2:W-RT"}]


async def test_attributes_sent_in_real_time_are_kept_until_cleared(
    town: MatchModel, gql: GraphQL
) -> None:
    """Attributes given are stored as a file's are; an update without them keeps them, and
    one given as null is cleared, the others kept."""
    record = {
        "sourceKey": "W-RT2",
        "firstName": "Ann",
        "attributes": [
            {"name": "employer", "value": "Acme Plumbing"},
            {"name": "shoeSize", "value": "9"},
        ],
    }
    first = (await gql.data(UPSERT, source="w2", record=record))["upsertCustomerRecord"]
    assert first["customer"]["attributes"] == [
        {"name": "employer", "value": "Acme Plumbing"},
        {"name": "shoeSize", "value": "9"},
    ]
    update = {"sourceKey": "W-RT2", "lastName": "Lee"}
    kept = (await gql.data(UPSERT, source="w2", record=update))["upsertCustomerRecord"]
    assert kept["customer"]["attributes"] == first["customer"]["attributes"]
    clear = {"sourceKey": "W-RT2", "attributes": [{"name": "employer", "value": None}]}
    cleared = (await gql.data(UPSERT, source="w2", record=clear))["upsertCustomerRecord"]
    assert cleared["customer"]["attributes"] == [{"name": "shoeSize", "value": "9"}]


async def test_more_attributes_than_a_record_carries_are_refused(
    town: MatchModel, gql: GraphQL, api_store: CountingStore
) -> None:
    many = [{"name": f"a{i}", "value": "x"} for i in range(MAX_ATTRIBUTES + 1)]
    body = await gql(UPSERT, source="w2", record={"sourceKey": "W-RT4", "attributes": many})
    (error,) = body["errors"]
    assert error["message"] == (
        f"{MAX_ATTRIBUTES + 1} attributes: a record sent carries at most {MAX_ATTRIBUTES} "
        "(each is a property of the record)"
    )
    assert api_store.inner.read("profile_memberships_of", ids=["w2:W-RT4"]) == []


async def test_an_identifier_type_no_mapping_declared_is_refused(
    town: MatchModel, gql: GraphQL
) -> None:
    record = {"sourceKey": "W-RT3", "identifiers": [{"type": "passport", "value": "P1"}]}
    body = await gql(UPSERT, source="w2", record=record)
    (error,) = body["errors"]
    assert error["message"] == (
        f"unknown field(s) ['passport']; customer fields are {list(CUSTOMER_FIELDS)}, "
        "declared identifier types ['nationalId']"
    )


def test_identifiers_and_attributes_become_the_flat_record_the_flow_takes() -> None:
    record = {
        "sourceKey": "K",
        "email": None,
        "identifiers": [{"type": "nationalId", "value": SSN}, {"type": "loyaltyNo"}],
        "attributes": [{"name": "employer", "value": "Acme"}],
    }
    assert record_fields(record) == {
        "sourceKey": "K",
        "email": None,
        "nationalId": SSN,
        "loyaltyNo": None,
        "attr_employer": "Acme",
    }


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"identifiers": [{"type": "nationalId", "value": "1"}, {"type": "nationalId"}]},
            "identifier type(s) ['nationalId'] given more than once",
        ),
        (
            {"attributes": [{"name": "employer", "value": "A"}, {"name": "employer"}]},
            "attribute(s) ['employer'] given more than once",
        ),
        (
            {"identifiers": [{"type": "email", "value": "a@b.org"}, {"type": "attr_x"}]},
            "['attr_x', 'email']: not identifier types (a type is a letter, then up to 39 "
            "letters or digits, and not a customer field: give those as fields)",
        ),
    ],
    ids=["type-twice", "attribute-twice", "not-a-type"],
)
def test_a_record_naming_a_value_twice_or_a_field_as_an_identifier_is_refused(
    record: dict, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        record_fields({"sourceKey": "K", **record})
    assert str(refused.value) == message


SEARCH = """query($text: String!) {
  searchProfiles(text: $text) { totalCount edges { node { score matchedOn profile { id } } } } }"""


@pytest.mark.parametrize("typed", ["160-69-0961", " 160 69 0961 ", "160690961"])
async def test_a_national_id_typed_as_a_source_writes_it_finds_its_profile(
    town: MatchModel, gql: GraphQL, api_store: CountingStore, typed: str
) -> None:
    """The search box takes a declared identifier as any source writes it (the graph holds
    160690961)."""
    data = (await gql.data(SEARCH, text=typed))["searchProfiles"]
    assert data == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "score": 1.0,
                    "matchedOn": "nationalId",
                    "profile": {"id": _profile_of(api_store, SSA_KEY)},
                }
            }
        ],
    }


BY_IDENTIFIER = """query($identifier: IdentifierValueInput) {
  customersByIdentifier(identifier: $identifier) { edges { node { id } } } }"""


async def test_customers_are_looked_up_by_a_declared_identifier_as_written(
    town: MatchModel, gql: GraphQL, api_store: CountingStore
) -> None:
    """customersByIdentifier takes a declared identifier as email, phone and deviceId are
    taken: the records holding it, however the value is written."""
    holders = sorted(
        r["id"]
        for r in api_store.inner.run_text(
            "MATCH (:Identifier {identifierId: 'nationalId:160690961'})<-[:HAS_IDENTIFIER]-"
            "(c:Customer) RETURN c.customerId AS id",
            write=False,
        )[0]
    )
    assert SSA_KEY in holders
    for typed in ("160-69-0961", "160 69 0961"):
        identifier = {"type": "nationalId", "value": typed}
        data = await gql.data(BY_IDENTIFIER, identifier=identifier)
        assert [e["node"]["id"] for e in data["customersByIdentifier"]["edges"]] == holders


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        (
            {"type": "passport", "value": "P1"},
            "identifier type 'passport' is not declared; the declared types are ['nationalId']",
        ),
        ({"type": "nationalId", "value": " - "}, "the nationalId to look up is empty"),
    ],
    ids=["undeclared-type", "empty-value"],
)
async def test_a_lookup_by_an_undeclared_type_or_an_empty_value_is_refused(
    town: MatchModel, gql: GraphQL, identifier: dict, message: str
) -> None:
    body = await gql(BY_IDENTIFIER, identifier=identifier)
    (error,) = body["errors"]
    assert (error["message"], error["extensions"]["code"]) == (message, "BAD_USER_INPUT")
