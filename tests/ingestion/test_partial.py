"""Partial updates (app/ingestion/partial.py through app.flows.upsert), on every backend: an
upsert changes the fields it carries, null clears one, the rest stays; a record emptied of
everything that identifies a person leaves its profile; each upsert is audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import flows
from app.audit import TrailFilter, trail
from app.ingestion.batch import load_directory
from app.ingestion.fields import CUSTOMER_FIELDS
from app.ingestion.partial import canonical, overlay
from app.ingestion.record import prepare_customer_record
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.realtime import attribute_names, record_mapping
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate

RECORD = {
    "sourceKey": "F-1",
    "firstName": "Ottoline",
    "lastName": "Brackenbury",
    "dateOfBirth": "1922-02-22",
    "email": "ob@example.org",
    "phone": "+44 7700 900123",
    "street": "1 Garsington Road",
    "postcode": "OX4 6AB",
    "city": "Oxford",
    "deviceId": "dev-ob-1",
}
CUSTOMER = (
    "MATCH (c:Customer {customerId: $id}) "
    "OPTIONAL MATCH (c)-[:HAS_EMAIL]->(e:Email) OPTIONAL MATCH (c)-[:USES_DEVICE]->(d:Device) "
    "RETURN c.firstName AS first, c.lastName AS last, c.email AS email, c.phone AS phone, "
    "c.postcode AS postcode, c.marketingConsent AS consent, collect(DISTINCT e.email) AS "
    "emails, collect(DISTINCT d.deviceId) AS devices"
)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("partial") / "synth"
    generate(SynthConfig(people=40, seed=3), out, "csv")
    return out


@pytest.fixture
def resolved(store: GraphStore, population: Path, tmp_path: Path) -> tuple[Settings, MatchModel]:
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, population, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings, truth_file=population / "truth_records.csv", pairs=100).model
    flows.resolve_all(store, settings, model)
    return settings, model


def _customer(store: GraphStore, cid: str) -> dict:
    rows, _ = store.run_text(CUSTOMER, {"id": cid}, write=False)
    return dict(rows[0])


def test_a_consent_only_upsert_keeps_the_names(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    first = flows.upsert(store, settings, model, "crm", RECORD, "key:crm-sync").result
    before = _customer(store, "crm:F-1")
    consent = {"sourceKey": "F-1", "marketingConsent": "yes"}
    again = flows.upsert(store, settings, model, "crm", consent, "key:crm-sync").result
    assert again.profile_id == first.profile_id and again.action == "kept"
    assert _customer(store, "crm:F-1") == {**before, "consent": True}
    assert before["first"] == "Ottoline" and before["emails"] == ["ob@example.org"]
    assert before["devices"] == ["dev-ob-1"]

    # The audit names who, and only what changed.
    newest = trail(store, TrailFilter(entity_id="crm:F-1")).events
    assert [(e.action, e.actor) for e in newest] == [("upsertCustomerRecord", "key:crm-sync")] * 2
    assert json.loads(newest[0].before or "") == {"marketingConsent": None}
    assert json.loads(newest[0].after or "") == {"marketingConsent": "yes"}
    assert json.loads(newest[1].before or "") is None
    assert json.loads(newest[1].after or "")["firstName"] == "Ottoline"


def test_null_clears_a_field_and_nothing_else(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    flows.upsert(store, settings, model, "crm", RECORD, "tester")
    flows.upsert(store, settings, model, "crm", {"sourceKey": "F-1", "email": None}, "tester")
    now = _customer(store, "crm:F-1")
    assert (now["email"], now["emails"]) == (None, [])
    assert (now["first"], now["last"], now["phone"]) == ("Ottoline", "Brackenbury", "+447700900123")
    # A full name replaces the name parts the update does not give itself.
    flows.upsert(store, settings, model, "crm", {"sourceKey": "F-1", "fullName": "Ada Byron"}, "t")
    assert (_customer(store, "crm:F-1")["first"], _customer(store, "crm:F-1")["last"]) == (
        "Ada",
        "Byron",
    )


def test_a_record_emptied_of_identifying_fields_leaves_its_profile(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    first = flows.upsert(store, settings, model, "crm", RECORD, "tester").result
    twin = {**RECORD, "sourceKey": "W-1"}
    second = flows.upsert(store, settings, model, "webshop", twin, "tester").result
    assert second.profile_id == first.profile_id
    emptied = {f: None for f in RECORD if f != "sourceKey"}
    out = flows.upsert(store, settings, model, "webshop", {"sourceKey": "W-1", **emptied}, "t")
    rows = store.read("profile_memberships_of", ids=["crm:F-1", "webshop:W-1"])
    where = {r["customerId"]: r["profileId"] for r in rows}
    assert where["crm:F-1"] != where["webshop:W-1"] == out.result.profile_id
    assert out.result.action == "moved"


_VALUE = st.one_of(st.none(), st.text(max_size=5))


_KEYS = (*CUSTOMER_FIELDS, "nationalId", "attr_occupation", "attr_birthPlace")
_ATTRIBUTES = ("attr_occupation", "attr_birthPlace")


@given(
    stored=st.dictionaries(st.sampled_from(_KEYS), st.text(min_size=1, max_size=5)),
    given_=st.dictionaries(st.sampled_from(_KEYS), _VALUE),
)
def test_an_update_touches_only_the_fields_it_carries(stored: dict, given_: dict) -> None:
    """Fields, a declared identifier (by its type) and attributes (by property) alike; a
    null attribute stays as null, so that the write clears it (the graph keeps an attribute
    a record leaves out)."""
    out = overlay(stored, given_)
    for field in _KEYS:
        if field in _ATTRIBUTES and field in given_:
            assert field in out
            assert out[field] == given_[field]  # given: its value; null: null, to clear
        elif field in given_:
            assert out.get(field) == given_[field]  # given: its value; null: gone
        elif field in ("firstName", "middleName", "lastName") and "fullName" in given_:
            assert field not in out  # the full name given takes the name parts' place
        elif field == "accountRole" and "accountId" in given_:
            assert field not in out  # a role belongs to the account
        else:
            assert out.get(field) == stored.get(field)


_NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'- éöü", min_size=1, max_size=12)


@given(
    first=_NAMES,
    last=_NAMES,
    email=st.emails(),
    phone=st.sampled_from(["07700 900123", "+44 20 7946 0018", "+49 30 901820", "12", None]),
    born=st.dates().map(str),
    street=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
    postcode=st.sampled_from(["OX4 6AB", "ox46ab", "10115", " LS1 4AP ", None]),
    city=st.one_of(st.none(), _NAMES),
    country=st.sampled_from(["GB", "UK", "England", "DE", "de", None]),
    gender=st.sampled_from(["F", "male", "x", None]),
    consent=st.sampled_from(["yes", "Opt-out", "1", None]),
    device=st.one_of(st.none(), st.text(alphabet="abc-123", min_size=1, max_size=8)),
    account=st.sampled_from([None, ("ACC-1", "payer"), ("ACC-2", None)]),
    national=st.one_of(st.none(), st.text(alphabet="0123456789- ", min_size=1, max_size=11)),
    occupation=st.one_of(st.none(), _NAMES),
)
def test_a_stored_record_read_back_normalises_to_itself(**v: object) -> None:
    """A partial update lays the update over the stored record read back in canonical fields;
    normalising those again must give the stored values, or an update would change fields it
    does not carry."""
    account = v.pop("account")
    record = {
        "sourceKey": "K-1",
        "firstName": v["first"],
        "lastName": v["last"],
        "email": v["email"],
        "phone": v["phone"],
        "dateOfBirth": v["born"],
        "street": v["street"],
        "postcode": v["postcode"],
        "city": v["city"],
        "country": v["country"],
        "gender": v["gender"],
        "marketingConsent": v["consent"],
        "deviceId": v["device"],
        "nationalId": v["national"],
        "attr_occupation": v["occupation"],
    }
    if account:
        record["accountId"], record["accountRole"] = account
    record = {k: val for k, val in record.items() if val is not None}
    once = _prepared(record)
    again = _prepared(canonical(*once, identifier_types=TYPES))
    assert again == once


TYPES = {"nationalId": "typo"}


def _prepared(record: dict) -> tuple[dict, list[str], list[tuple[str, str | None]]]:
    mapping = record_mapping("crm", TYPES, attribute_names(record))
    prepared = prepare_customer_record(
        record, mapping, file="t", row=1, max_len=512, country="GB", identifier_types=TYPES
    )
    w = prepared.writes
    props = {k: v for k, v in w["upsert_customers"][0]["props"].items() if v is not None}
    devices = [r["deviceId"] for r in w["link_devices"]]
    accounts = [(r["accountId"], r["role"]) for r in w["link_accounts"]]
    return props, devices, accounts
