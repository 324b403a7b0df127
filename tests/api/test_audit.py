"""GraphQL auditTrail on the resolved demo population: a steward's confirm, reject, merge and
split come back newest first with who, why, before and after, paged with a total; every other
changing mutation is audited under the signed-in identity; personal values are masked for a
role without PII rights, and a role without read:audit is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.privacy.erasure import REDACTED
from tests.api.test_stewards import CONFIRM, MERGE, REJECT, SPLIT, profiles_of

TRAIL = """
query($entity: ID, $actor: String, $action: [String!], $first: Int, $after: String) {
  auditTrail(entityId: $entity, actor: $actor, action: $action, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { auditId at actor action entityIds reason before after } }
  }
}
"""
STEWARD = "Zoë Steward"


def _pairs(resolved, n: int) -> list[tuple[str, str]]:
    """Undecided pairs of the review band, between records of different profiles' pairs."""
    rows = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) WHERE m.status = 'auto' "
        "AND m.probability >= 0.2 AND m.probability <= 0.8 "
        "RETURN a.customerId AS a, b.customerId AS b ORDER BY a, b"
    )
    out: list[tuple[str, str]] = []
    for r in rows:
        if not {r["a"], r["b"]} & {x for p in out for x in p}:
            out.append((r["a"], r["b"]))
    return out[:n]


def _nodes(trail: dict) -> list[dict]:
    return [e["node"] for e in trail["edges"]]


async def test_the_trail_lists_the_stewards_changes_with_before_and_after(
    fresh_resolved, resolved_gql
) -> None:
    steward = resolved_gql.as_actor(STEWARD, roles=["steward"])
    (a, b), (c, d) = _pairs(fresh_resolved, 2)
    await steward.data(CONFIRM, a=a, b=b, reason="same passport")
    await steward.data(REJECT, a=c, b=d, reason="twins")
    profiles = profiles_of(fresh_resolved)
    big = min(p for p, m in profiles.items() if len(m) == 3 and a not in m and c not in m)
    small = min(p for p, m in profiles.items() if len(m) == 2 and a not in m and c not in m)
    merged = await steward.data(MERGE, ids=[small, big], reason="one person moved house")
    kept = merged["mergeProfiles"]["profile"]["id"]
    son = profiles[small][0]
    split = await steward.data(SPLIT, id=son, reason="the son, born 2020")
    new = split["splitCustomer"]["profile"]["id"]

    trail = (await steward.data(TRAIL))["auditTrail"]
    events = _nodes(trail)
    assert trail["totalCount"] == 4 and not trail["pageInfo"]["hasNextPage"]
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("splitCustomer", f"key:{STEWARD}", "the son, born 2020"),
        ("mergeProfiles", f"key:{STEWARD}", "one person moved house"),
        ("rejectMatch", f"key:{STEWARD}", "twins"),
        ("confirmMatch", f"key:{STEWARD}", "same passport"),
    ]
    assert [e["at"] for e in events] == sorted((e["at"] for e in events), reverse=True)
    split_e, merge_e, reject_e, confirm_e = events
    everyone = sorted(profiles[big] + profiles[small])
    assert json.loads(split_e["before"]) == {"profile": kept, "members": everyone}
    assert json.loads(split_e["after"]) == {
        "profile": new,
        "leaving": [son],
        "remaining": kept,
    }
    assert json.loads(merge_e["before"]) == {"profiles": sorted([big, small])}
    assert json.loads(merge_e["after"]) == {"profile": kept}
    assert set(merge_e["entityIds"]) == {*everyone, big, small}
    assert json.loads(reject_e["before"])["status"] == "auto"
    assert json.loads(reject_e["after"]) == {"status": "rejected", "method": "steward"}
    assert sorted(reject_e["entityIds"]) == sorted([c, d])
    assert json.loads(confirm_e["after"]) == {"status": "confirmed", "method": "steward"}

    # The metrics the split recomputed carry it as their cause: a correction, not behaviour.
    history = """query($id: ID!) { profile(id: $id) { metrics { history { cause causeId } } } }"""
    metrics = (await steward.data(history, id=new))["profile"]["metrics"]
    points = [p for m in metrics for p in m["history"]]
    assert points and all(p == {"cause": "identity", "causeId": split_e["auditId"]} for p in points)

    # Reading the metrics unmasked was itself audited (the starter metric 'email' copies
    # personal data): the trail's newest event is that read, the changes come after it.
    everything = (await steward.data(TRAIL))["auditTrail"]
    assert everything["totalCount"] == 5
    assert (_nodes(everything)[0]["action"], _nodes(everything)[0]["actor"]) == (
        "readPII",
        f"key:{STEWARD}",
    )
    assert _nodes(everything)[1:] == events

    # Pages of two of the changes follow on; a profile's trail has the changes about it and
    # its records.
    changes = ["confirmMatch", "rejectMatch", "mergeProfiles", "splitCustomer"]
    one = (await steward.data(TRAIL, first=2, action=changes))["auditTrail"]
    two = (await steward.data(TRAIL, first=2, action=changes, after=one["pageInfo"]["endCursor"]))[
        "auditTrail"
    ]
    assert [e["auditId"] for e in _nodes(one) + _nodes(two)] == [e["auditId"] for e in events]
    assert (one["totalCount"], one["pageInfo"]["hasNextPage"]) == (4, True)
    assert two["pageInfo"]["hasNextPage"] is False
    about = (await steward.data(TRAIL, entity=new, action=changes))["auditTrail"]
    assert [e["action"] for e in _nodes(about)] == ["splitCustomer", "mergeProfiles"]
    assert (await steward.data(TRAIL, actor="key:someone"))["auditTrail"]["totalCount"] == 0

    # The analyst reads it too; the marketer may not.
    analyst = (await resolved_gql.as_role("analyst").data(TRAIL, action=changes))["auditTrail"]
    assert analyst["totalCount"] == 4
    marketer = resolved_gql.as_role("marketer")
    refused = await marketer(TRAIL)
    assert marketer.response.status_code == 403
    assert "read:audit" in refused["errors"][0]["message"]


UPSERT = """
mutation($r: CustomerRecordInput!) {
  upsertCustomerRecord(source: "crm", record: $r) { action profile { id } }
}
"""
INTERACTION = """
mutation($key: String!) {
  recordInteraction(source: "crm", customerKey: $key, type: "purchase",
                    timestamp: "2026-08-31T09:00:00", value: 20, eventId: "AUD-1") { interactionId }
}
"""
DEFINE_METRIC = "mutation($d: GenericScalar!) { defineMetric(definition: $d) { name } }"
DEFINE_RULE = """
mutation { defineAlertRule(rule: {name: "big-spend", metric: "spend90d", condition: "above",
  threshold: 1000}) { name } }
"""
REMOVE_RULE = 'mutation { removeAlertRule(name: "big-spend") }'
CONSENT = """
mutation { setConsent(customerId: "crm:AUD-1", purpose: "marketing", channel: "email",
  granted: false) { customerId } }
"""
ERASE = 'mutation($id: ID!) { eraseProfile(id: $id, reason: "request 42") { records } }'


@pytest.fixture
def own_data(fresh_resolved, tmp_path: Path):
    """Defined metrics go to this test's folder, not the shared resolved graph's."""
    saved = fresh_resolved.settings.data_dir
    fresh_resolved.settings.data_dir = tmp_path / "data"
    fresh_resolved.model.save(fresh_resolved.settings.model_file)
    yield fresh_resolved
    fresh_resolved.settings.data_dir = saved
    fresh_resolved.store.inner.run_text(
        "MATCH (i:Interaction) WHERE i.occurredAt >= '2026' DETACH DELETE i", write=True
    )
    fresh_resolved.store.inner.run_text(
        "MATCH (c:Customer) WHERE c.sourceKey STARTS WITH 'AUD-' DETACH DELETE c", write=True
    )


async def test_every_change_is_audited_under_the_signed_in_identity(own_data, resolved_gql) -> None:
    admin = resolved_gql.as_actor("ops")
    record = {"sourceKey": "AUD-1", "fullName": "Ottoline Brackenbury", "email": "ob@example.org"}
    await admin.data(UPSERT, r=record)
    await admin.data(UPSERT, r={"sourceKey": "AUD-1", "marketingConsent": "no"})
    await admin.data(INTERACTION, key="AUD-1")
    d = {"name": "bigSpender", "kind": "formula", "expression": "where(spend90d > 30, 1, 0)"}
    await admin.data(DEFINE_METRIC, d=d)
    await admin.data(DEFINE_RULE)
    await admin.data(REMOVE_RULE)
    await admin.data(CONSENT)

    events = _nodes((await admin.data(TRAIL, actor="key:ops"))["auditTrail"])
    actions = [
        "setConsent",
        "removeAlertRule",
        "defineAlertRule",
        "defineMetric",
        "recordInteraction",
        "upsertCustomerRecord",
        "upsertCustomerRecord",
    ]
    assert [e["action"] for e in events] == actions
    consent, removed, defined, metric, interaction, partial, first = events
    assert json.loads(partial["before"]) == {"marketingConsent": None}
    assert json.loads(partial["after"]) == {"marketingConsent": "no"}
    assert json.loads(first["after"])["firstName"] == "Ottoline"
    assert json.loads(defined["after"])["threshold"] == 1000
    assert json.loads(removed["before"])["name"] == "big-spend" and removed["after"] == "null"
    assert removed["entityIds"] == ["alertRule:big-spend"]
    assert metric["entityIds"] == ["metric:bigSpender"]
    assert json.loads(metric["after"])["expression"] == "where(spend90d > 30, 1, 0)"
    assert json.loads(interaction["after"])["value"] == 20
    assert json.loads(consent["after"])["granted"] is False

    # Without read:pii the names and e-mail in before/after are masked.
    seen = _nodes(
        (await resolved_gql.as_role("analyst").data(TRAIL, action="upsertCustomerRecord"))[
            "auditTrail"
        ]
    )
    masked = json.loads(seen[-1]["after"])
    assert (masked["firstName"], masked["lastName"], masked["email"]) == (
        "O***",
        "B***",
        "o***@example.org",
    )

    # Erasing the person keeps who did what and when, and drops the details and their ids.
    profile = (await admin.data(UPSERT, r={"sourceKey": "AUD-1"}))["upsertCustomerRecord"]
    await admin.data(ERASE, id=profile["profile"]["id"])
    after = _nodes((await admin.data(TRAIL, actor="key:ops"))["auditTrail"])
    assert [e["action"] for e in after] == ["eraseProfile", "upsertCustomerRecord", *actions]
    erase = after[0]
    assert erase["reason"] == "request 42" and json.loads(erase["after"])["records"] == 1
    person = ("upsertCustomerRecord", "recordInteraction", "setConsent")
    about = [e for e in after[1:] if e["action"] in person]
    assert all("crm:AUD-1" not in e["entityIds"] for e in about)
    assert {(e["before"], e["after"]) for e in about} == {(REDACTED, REDACTED)}


async def test_bad_arguments_are_named(resolved, resolved_gql) -> None:
    since = 'query { auditTrail(since: "last week") { totalCount } }'
    body = await resolved_gql(since)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("since: 'last week' is not an ISO 8601 date")
    body = await resolved_gql('query { auditTrail(after: "nope") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "after='nope' is not a cursor of this list" in body["errors"][0]["message"]
