"""upsertCustomerRecord: one record over GraphQL, resolved in real time against the resolved
synthetic population."""

from __future__ import annotations

from app.metrics import registry

UPSERT = """
mutation($source: String!, $record: CustomerRecordInput!) {
  upsertCustomerRecord(source: $source, record: $record) {
    action milliseconds retiredProfileIds alertsRaised componentCapped
    matches { customerId probability }
    customer { id firstName profile { id } }
    profile { id size customers { id } metrics { name value } household { id } }
  }
}
"""


BLANKED = """
mutation($source: String!, $record: CustomerRecordInput!) {
  upsertCustomerRecord(source: $source, record: $record) {
    customer { id firstName emails { email } } blanked { field value reason }
  }
}
"""


async def test_a_record_of_a_known_person_joins_their_profile(fresh_resolved, resolved_gql):
    fresh_resolved.model.save(fresh_resolved.settings.model_file)
    known = fresh_resolved.store.inner.read_one("realtime_known_person")
    record = {
        "sourceKey": "GQL-1",
        "fullName": f"{known['firstName']} {known['lastName']}",
        "email": known["email"].upper(),  # normalised as batch ingestion does
        "dateOfBirth": known["dateOfBirth"],
    }
    out = (await resolved_gql.data(UPSERT, source="webshop", record=record))["upsertCustomerRecord"]
    assert out["action"] == "JOINED"  # the known person's one profile
    assert out["componentCapped"] is False  # placed on the whole component, as batch places it
    assert known["customerId"] in [m["customerId"] for m in out["matches"]]
    # the matches are the record's MATCHES edges as stored at or above the operational
    # threshold (the schema's word), with their probabilities; edges from the floor up to the
    # threshold are stored for the dial and the review band, and are not matches
    stored = fresh_resolved.store.inner.run_text(
        "MATCH (c:Customer {customerId: 'webshop:GQL-1'})-[m:MATCHES]-(o:Customer) "
        "WHERE m.probability >= $threshold RETURN o.customerId AS id, m.probability AS p",
        {"threshold": fresh_resolved.settings.match_threshold},
        write=False,
    )[0]
    assert {m["customerId"]: m["probability"] for m in out["matches"]} == {
        r["id"]: r["p"] for r in stored
    }
    assert out["customer"]["id"] == "webshop:GQL-1"
    assert out["customer"]["firstName"] == known["firstName"]
    members = [c["id"] for c in out["profile"]["customers"]]
    assert {"webshop:GQL-1", known["customerId"]} <= set(members)
    assert out["customer"]["profile"]["id"] == out["profile"]["id"]
    # The rest of the real-time flow ran: the profile's metrics and its household, as stored.
    running = {d.name for d in registry.running(fresh_resolved.settings)}
    assert {m["name"] for m in out["profile"]["metrics"]} == running
    household = fresh_resolved.store.inner.run_text(
        "MATCH (:Profile {profileId: $p})-[m:MEMBER_OF]->(h:Household) "
        "WHERE m.status = 'current' RETURN h.householdId AS id",
        {"p": out["profile"]["id"]},
        write=False,
    )[0]
    assert household == [{"id": out["profile"]["household"]["id"]}]

    # The same record again changes nothing: it stays in its profile.
    again = (await resolved_gql.data(UPSERT, source="webshop", record=record))[
        "upsertCustomerRecord"
    ]
    assert again["profile"]["id"] == out["profile"]["id"]
    assert again["action"] == "KEPT"


async def test_a_stranger_founds_a_profile_of_their_own(fresh_resolved, resolved_gql):
    fresh_resolved.model.save(fresh_resolved.settings.model_file)
    record = {
        "sourceKey": "GQL-2",
        "firstName": "Zebedee",
        "lastName": "Quillfeather",
        "dateOfBirth": "1911-11-11",
        "email": "zq@example.org",
    }
    out = (await resolved_gql.data(UPSERT, source="crm", record=record))["upsertCustomerRecord"]
    assert (out["action"], out["matches"]) == ("FOUNDED", [])
    assert out["profile"]["size"] == 1
    assert [c["id"] for c in out["profile"]["customers"]] == ["crm:GQL-2"]


async def test_a_missing_model_and_a_bad_key_are_refused_and_a_bad_value_is_left_out(
    fresh_resolved, resolved_gql
):
    fresh_resolved.settings.model_file.unlink(missing_ok=True)
    record = {"sourceKey": "GQL-3", "firstName": "Ann"}
    body = await resolved_gql(UPSERT, source="crm", record=record)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FAILED_PRECONDITION"
    assert "idgraph train" in error["message"]

    fresh_resolved.model.save(fresh_resolved.settings.model_file)
    # A bad value is left out and reported; the rest of the record loads.
    record = {"sourceKey": "GQL-4", "firstName": "Ann", "email": "x@"}
    out = (await resolved_gql.data(BLANKED, source="crm", record=record))["upsertCustomerRecord"]
    assert out["customer"] == {"id": "crm:GQL-4", "firstName": "Ann", "emails": []}
    assert out["blanked"] == [{"field": "email", "value": "x@", "reason": "invalid email"}]

    body = await resolved_gql(UPSERT, source="crm", record={"firstName": "Ann"})
    assert "sourceKey" in body["errors"][0]["message"]


async def test_an_upsert_changes_the_fields_it_carries_and_null_clears_one(
    fresh_resolved, resolved_gql
):
    """A partial update over GraphQL: a consent-only upsert keeps names and e-mail; an
    explicit null clears the e-mail and nothing else."""
    fresh_resolved.model.save(fresh_resolved.settings.model_file)
    record = {"sourceKey": "GQL-3", "fullName": "Zebedee Quillfeather", "email": "zq@example.org"}
    await resolved_gql.data(BLANKED, source="crm", record=record)
    consent = {"sourceKey": "GQL-3", "marketingConsent": "yes"}
    kept = (await resolved_gql.data(BLANKED, source="crm", record=consent))["upsertCustomerRecord"]
    assert kept["customer"]["firstName"] == "Zebedee"
    assert kept["customer"]["emails"] == [{"email": "zq@example.org"}]
    cleared = {"sourceKey": "GQL-3", "email": None}
    out = (await resolved_gql.data(BLANKED, source="crm", record=cleared))["upsertCustomerRecord"]
    assert (out["customer"]["firstName"], out["customer"]["emails"]) == ("Zebedee", [])
