"""Personal data by role and consent, wherever a query reaches it: a marketer never receives an
unmasked e-mail (GraphQL, export), a withheld person's contact is on no path of the marketing
query (members, profile, customers, identifiers, evidence, the household's address, export
columns), and unmasked reads are audited with who, whose and which fields."""

from __future__ import annotations

import csv
import io
import json

import pytest
from graphql import GraphQLObjectType

from app.access import policy
from app.api.schema import schema

EVERYTHING = """
query { households(first: 3) { edges { node {
  id addressId decisionMakerId contactWithheldReason
  decisionMakerContact { profileId firstName lastName email phone street city postcode }
  members(includeEnded: true) { profileId evidence profile {
    id firstName lastName dateOfBirth email phone addressId street city postcode
    %s
  } }
} } } }
"""
CUSTOMERS = """customers { id firstName lastName dateOfBirth
  emails { email } phones { phone } addresses { addressId street postcode city }
  devices { deviceId } interactions { edges { node { deviceId } } } }"""


def _emails(town) -> set[str]:
    rows, _ = town.inner.run_text(
        "MATCH (e:Email) RETURN e.email AS v UNION MATCH (c:Customer) WHERE c.email IS NOT NULL "
        "RETURN c.email AS v",
        write=False,
    )
    return {r["v"] for r in rows}


async def test_a_marketer_never_receives_an_unmasked_email(as_role, town) -> None:
    marketer = as_role("marketer")
    emails = _emails(town)
    assert len(emails) == 7
    seen: list[str] = []
    body = await marketer(EVERYTHING % "")
    assert marketer.response.status_code == 200, body
    seen.append(json.dumps(body))
    for pid in ("a1", "a2", "a3", "b1", "b2", "b3", "c1"):
        seen.append(
            json.dumps(
                await marketer.data(
                    "query($p: ID!) { profile(id: $p) { email firstName household { addressId "
                    "decisionMakerContact { email } members { evidence } } } }",
                    p=pid,
                )
            )
        )
    export = await marketer.client.get("/export/households.csv", headers=marketer.headers)
    assert export.status_code == 200
    seen.append(export.text)
    # Records and identifiers are not a marketer's to read at all.
    refused = await marketer(EVERYTHING % CUSTOMERS)
    assert marketer.response.status_code == 403 and "data" not in refused
    text = "\n".join(seen)
    assert not [e for e in emails if e in text]
    assert "a***@moss.example" in text  # masked, the consenting decision-maker's
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {r["email"] for r in rows} <= {"", "a***@moss.example"}


async def test_the_withheld_persons_contact_is_on_no_path(as_role, town) -> None:
    """b1 (the Kowalskis' decision-maker) refused marketing later than they granted it: the
    marketing query, even for an admin, gives no contact of theirs on any path."""
    admin = as_role("admin")
    data = await admin.data(EVERYTHING % CUSTOMERS)
    homes = {e["node"]["decisionMakerId"]: e["node"] for e in data["households"]["edges"]}
    home = homes["b1"]
    assert home["decisionMakerContact"] is None
    assert home["contactWithheldReason"] == "marketing consent refused in webshop:W-B1"
    assert home["addressId"] is None  # the household's address is the decision-maker's
    (b1,) = [m for m in home["members"] if m["profileId"] == "b1"]
    profile = b1["profile"]
    for field in ("email", "phone", "addressId", "street", "city", "postcode"):
        assert profile[field] is None, field
    assert all(
        not e.startswith(("address:", "email:", "phone:", "postcode:")) for e in b1["evidence"]
    )
    for record in profile["customers"]:
        assert (record["emails"], record["phones"], record["addresses"]) == ([], [], [])
    assert "b1@kowalski.example" not in json.dumps(data)
    # The others in the house consent: theirs are there (the walk-around is closed for b1,
    # not the household).
    (b2,) = [m for m in home["members"] if m["profileId"] == "b2"]
    assert b2["profile"]["email"] == "b2@kowalski.example"
    # The export: no contact, no address in b1's row.
    export = await admin.client.get("/export/households.csv", headers=admin.headers)
    (row,) = [r for r in csv.DictReader(io.StringIO(export.text)) if r["decisionMakerId"] == "b1"]
    assert row["contactable"] == "no"
    assert [
        row[c]
        for c in (
            "addressId",
            "firstName",
            "lastName",
            "email",
            "phone",
            "street",
            "city",
            "postcode",
        )
    ] == [""] * 8
    # Outside the marketing query, the steward's own 360 view still shows the record.
    steward = await as_role("steward").data('{ profile(id: "b1") { email } }')
    assert steward == {"profile": {"email": "b1@kowalski.example"}}


async def test_roles_without_pii_see_masks(as_role) -> None:
    analyst = as_role("analyst")
    data = await analyst.data(
        '{ customer(id: "crm:a1") { firstName lastName dateOfBirth emails { email } '
        "devices { deviceId } addresses { addressId street city } } }"
    )
    assert data["customer"] == {
        "firstName": "S***",
        "lastName": "M***",
        "dateOfBirth": "1970-**-**",
        "emails": [{"email": "a***@moss.example"}],
        "devices": [{"deviceId": "***a1"}],
        "addresses": [{"addressId": "GB|***", "street": "GB|***", "city": "Leeds"}],
    }


async def test_unmasked_reads_are_audited(as_role, town) -> None:
    support = as_role("support")
    await support.data('{ customer(id: "crm:a1") { firstName emails { email } } }')
    rows, _ = town.inner.run_text(
        "MATCH (a:Actor)-[r:READ_PII]->(c:Customer) "
        "RETURN a.name AS actor, r.action AS action, r.after AS after, "
        "collect(c.customerId) AS whose",
        write=False,
    )
    (event,) = rows
    assert event["actor"] == "key:key-support" and event["whose"] == ["crm:a1"]
    assert event["action"] == "readPII"
    assert json.loads(event["after"])["fields"] == ["email", "name"]
    await as_role("analyst").data('{ customer(id: "crm:a2") { firstName } }')  # masked: none
    rows, _ = town.inner.run_text("MATCH ()-[r:READ_PII]->() RETURN count(r) AS n", write=False)
    assert rows == [{"n": 1}]
    rows, _ = town.inner.run_text("MATCH (e:AuditEvent) RETURN count(e) AS n", write=False)
    assert rows == [{"n": 0}]  # a read is no AuditEvent node (app/audit.py)


async def test_a_metric_copying_an_email_is_that_email(as_role, town) -> None:
    """The starter metric `email` (factual: a copy of the record's field) is masked for a
    marketer and withheld without consent, as Profile.email is; a steward reads it."""
    town.inner.run_text(
        "MATCH (p:Profile) WHERE p.email IS NOT NULL SET p.dna_email = p.email, "
        "p.dna_email_hv = [p.email], p.dna_email_ht = ['2026-01-01T00:00:00Z']",
        write=True,
    )
    query = "query($p: ID!) { profile(id: $p) { metrics { name value history { value } } } }"

    async def email_metric(role: str, pid: str) -> dict:
        data = await as_role(role).data(query, p=pid)
        (metric,) = [m for m in data["profile"]["metrics"] if m["name"] == "email"]
        return metric

    assert await email_metric("steward", "a1") == {
        "name": "email",
        "value": "a1@moss.example",
        "history": [{"value": "a1@moss.example"}],
    }
    assert await email_metric("marketer", "a1") == {
        "name": "email",
        "value": "a***@moss.example",
        "history": [{"value": "a***@moss.example"}],
    }
    assert await email_metric("marketer", "a3") == {"name": "email", "value": None, "history": []}


def test_every_field_the_policy_names_is_a_field_of_the_schema() -> None:
    """The access middleware acts on a field when its (type, field) is in the policy's tables
    (personal data, contact channels, audited reads): a field renamed in the schema and not
    in the policy would be served unmasked and unaudited, so each name must be a field."""
    named = {*policy.PII_FIELDS, *policy.CHANNEL_FIELDS, *policy.AUDITED_FIELDS}
    types = schema.graphql_schema.type_map
    missing = [
        f"{t}.{f}"
        for t, f in sorted(named)
        if not (isinstance(types.get(t), GraphQLObjectType) and f in types[t].fields)  # type: ignore[union-attr]
    ]
    assert ("Customer", "emails") in named
    assert missing == []


@pytest.mark.parametrize(
    ("field", "key", "stored"),
    [
        ("attributes", "name", {"attr_segment": "gold", "attr_occupation": "Painter"}),
        ("declaredIdentifiers", "type", {"id_nationalId": "123456789", "id_loyaltyNo": "L-77"}),
    ],
)
async def test_what_a_mapping_declares_or_keeps_is_personal_data(
    as_role, town, field: str, key: str, stored: dict[str, str]
) -> None:
    """What a mapping keeps under `attributes:` (an occupation, a segment) or declares under
    `identifiers:` (a national ID, a loyalty number), read by name or type: masked for a
    role without read:pii, audited when read unmasked; a record without any reads none, and
    that is no read of personal data."""
    town.inner.run_text(
        "MATCH (c:Customer {customerId: 'crm:a1'}) SET c += $stored", {"stored": stored}, write=True
    )
    query = f"query($c: ID!) {{ customer(id: $c) {{ {field} {{ {key} value }} }} }}"
    named = sorted((name.split("_", 1)[1], value) for name, value in stored.items())
    support = as_role("support")
    assert await support.data(query, c="crm:b2") == {"customer": {field: []}}
    assert await support.data(query, c="crm:a1") == {
        "customer": {field: [{key: name, "value": value} for name, value in named]}
    }
    assert await as_role("analyst").data(query, c="crm:a1") == {
        "customer": {field: [{key: name, "value": "***"} for name, _ in named]}
    }
    rows, _ = town.inner.run_text(
        "MATCH (:Actor)-[r:READ_PII]->(c:Customer) RETURN r.after AS after, c.customerId AS whose",
        write=False,
    )
    assert [(json.loads(r["after"])["fields"], r["whose"]) for r in rows] == [(["any"], "crm:a1")]
