"""Steward mutations over GraphQL on a resolved synthetic population: decisions persist on the
edge and in the audit trail under the signed-in identity (never a header), merges and splits
change profiles at once.
Each test gets a freshly resolved graph."""

from __future__ import annotations

import json

import pytest

from app.access.keys import revoke_key

DECIDE = """
mutation($a: ID!, $b: ID!, $reason: String!) {
  confirmMatch(a: $a, b: $b, reason: $reason) { previousStatus match { %s } }
}
"""
MATCH_FIELDS = "a { id } b { id } probability status method decidedBy decidedAt reason"
CONFIRM = DECIDE % MATCH_FIELDS
REJECT = CONFIRM.replace("confirmMatch", "rejectMatch")

MATCHES_OF = """
query($id: ID!) {
  customer(id: $id) {
    matches(first: 100) { edges { node { other { id } status method decidedBy reason } } }
  }
}
"""

QUEUE = "{ reviewQueue(first: 100) { edges { node { a { id } b { id } } } } }"
DECIDED = """{ reviewQueue(decided: true, minProbability: 0, maxProbability: 1) {
  totalCount edges { node { a { id } b { id } } } } }"""

MERGE = """
mutation($ids: [ID!]!, $reason: String!) {
  mergeProfiles(ids: $ids, reason: $reason) {
    retiredIds
    profile { id status size customers { id profile { id } } }
  }
}
"""

SPLIT = """
mutation($id: ID!, $reason: String!) {
  splitCustomer(customerId: $id, reason: $reason) {
    customer { id profile { id } }
    profile { id size splitFrom customers { id } materialisedCustomerIds }
    previousProfile { id size materialisedCustomerIds }
  }
}
"""

PROFILE = """
query($id: ID!) {
  profile(id: $id) { id requestedId status customers { id } materialisedCustomerIds }
}
"""

STEWARD = "Zoë Steward"  # not ASCII: the header travels as UTF-8 bytes


def _queue_pair(resolved) -> tuple[str, str]:
    rows = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) WHERE m.status = 'auto' "
        "AND m.probability >= 0.2 AND m.probability <= 0.8 "
        "RETURN a.customerId AS a, b.customerId AS b ORDER BY a, b LIMIT 1"
    )
    return rows[0]["a"], rows[0]["b"]


def _audit(resolved) -> list[dict]:
    return resolved.rows(
        "MATCH (e:AuditEvent)-[:CONCERNS]->(c:Customer) WHERE e.action <> 'readPII' "
        "RETURN e.action AS action, e.actor AS actor, e.reason AS reason, "
        "e.before AS before, e.after AS after, collect(c.customerId) AS customers"
    )


def profiles_of(resolved) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in resolved.rows(
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile) "
        "RETURN p.profileId AS p, c.customerId AS c ORDER BY c"
    ):
        out.setdefault(row["p"], []).append(row["c"])
    return out


@pytest.mark.parametrize(
    ("query", "field", "status", "action"),
    [
        (CONFIRM, "confirmMatch", "confirmed", "confirmMatch"),
        (REJECT, "rejectMatch", "rejected", "rejectMatch"),
    ],
)
async def test_a_decision_persists_on_the_edge_and_in_the_audit_trail(
    fresh_resolved, resolved_gql, query, field, status, action
) -> None:
    a, b = _queue_pair(fresh_resolved)
    steward = resolved_gql.as_actor(STEWARD, roles=["steward"])
    steward.headers["X-Actor"] = "someone.else"  # a header names nobody: the key does

    # Either order names the same pair.
    out = (await steward.data(query, a=b, b=a, reason="same passport number"))[field]
    assert out["previousStatus"] == "auto"
    match = out["match"]
    assert (match["a"]["id"], match["b"]["id"]) == (a, b)
    assert (match["status"], match["method"]) == (status, "steward")
    assert match["decidedBy"] == f"key:{STEWARD}" and match["reason"] == "same passport number"
    assert match["decidedAt"] and 0.2 <= match["probability"] <= 0.8  # the model's score stays

    # A later request sees it through customer.matches, from both sides.
    for me, other in ((a, b), (b, a)):
        edges = (await resolved_gql.data(MATCHES_OF, id=me))["customer"]["matches"]["edges"]
        (edge,) = [e["node"] for e in edges if e["node"]["other"]["id"] == other]
        assert (edge["status"], edge["method"], edge["decidedBy"]) == (
            status,
            "steward",
            f"key:{STEWARD}",
        )

    queue = (await resolved_gql.data(QUEUE))["reviewQueue"]["edges"]
    assert (a, b) not in [(e["node"]["a"]["id"], e["node"]["b"]["id"]) for e in queue]
    # ... and into the queue of decided pairs, to revisit.
    decided = (await resolved_gql.data(DECIDED))["reviewQueue"]
    assert [(e["node"]["a"]["id"], e["node"]["b"]["id"]) for e in decided["edges"]] == [(a, b)]
    assert decided["totalCount"] == 1

    (event,) = _audit(fresh_resolved)
    assert (event["action"], event["actor"], event["reason"]) == (
        action,
        f"key:{STEWARD}",
        "same passport number",
    )
    assert sorted(event["customers"]) == [a, b]
    assert json.loads(event["after"]) == {"status": status, "method": "steward"}
    # The decision holds at once: the two records share a profile exactly when confirmed.
    owner = {c: p for p, members in profiles_of(fresh_resolved).items() for c in members}
    assert (owner[a] == owner[b]) is (status == "confirmed")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("nobody", 401, "UNAUTHENTICATED"),  # no key at all
        ("analyst", 403, "FORBIDDEN"),  # signed in, but a role that may not decide
        ("revoked", 401, "UNAUTHENTICATED"),
    ],
)
async def test_a_change_without_a_usable_identity_is_refused(
    fresh_resolved, resolved_gql, who, status, code
) -> None:
    a, b = _queue_pair(fresh_resolved)
    client = {
        "nobody": resolved_gql.anonymous(),
        "analyst": resolved_gql.as_role("analyst"),
        "revoked": resolved_gql.as_role("steward"),
    }[who]
    client.headers["X-Actor"] = "ann"  # naming someone in a header does not help
    if who == "revoked":
        key_id = client.headers["Authorization"].split("_", 1)[1].split(".")[0]
        assert revoke_key(fresh_resolved.store.inner, key_id, "tests")
    body = await client(CONFIRM, a=a, b=b, reason="same person")
    assert client.response.status_code == status
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    edge = fresh_resolved.rows(
        "MATCH (:Customer {customerId: $a})-[m:MATCHES]->(:Customer {customerId: $b}) "
        "RETURN m.status AS status",
        a=a,
        b=b,
    )
    assert edge == [{"status": "auto"}]
    assert _audit(fresh_resolved) == []


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"a": "crm:none", "b": "crm:nobody"}, "no customer record"),
        ({"reason": "  "}, "reason"),
        ({"b": None}, "cannot be matched with itself"),  # b = a
    ],
)
async def test_decisions_refuse_bad_input(fresh_resolved, resolved_gql, variables, words) -> None:
    a, b = _queue_pair(fresh_resolved)
    args = {"a": a, "b": b, "reason": "r", **variables}
    args["b"] = args["b"] or a
    body = await resolved_gql.as_actor("ann")(CONFIRM, **args)
    assert body["data"] == {"confirmMatch": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert words in error["message"]


async def test_merge_retires_a_profile_and_its_id_answers_with_the_survivor(
    fresh_resolved, resolved_gql
) -> None:
    profiles = profiles_of(fresh_resolved)
    big = min(p for p, m in profiles.items() if len(m) == 3)
    small = min(p for p, m in profiles.items() if len(m) == 2)

    out = (
        await resolved_gql.as_actor("ann").data(MERGE, ids=[small, big], reason="same household")
    )["mergeProfiles"]
    everyone = sorted(profiles[big] + profiles[small])
    assert out["retiredIds"] == [small]
    assert out["profile"]["id"] == big and out["profile"]["status"] == "active"
    assert out["profile"]["size"] == 5
    assert [c["id"] for c in out["profile"]["customers"]] == everyone
    assert {c["profile"]["id"] for c in out["profile"]["customers"]} == {big}

    retired = (await resolved_gql.data(PROFILE, id=small))["profile"]
    assert retired["id"] == big and retired["requestedId"] == small
    assert retired["status"] == "active"
    assert retired["materialisedCustomerIds"] == everyone
    live = (await resolved_gql.data(PROFILE, id=big))["profile"]
    assert live["requestedId"] is None

    (event,) = _audit(fresh_resolved)
    assert (event["action"], event["actor"]) == ("mergeProfiles", "key:ann")
    assert sorted(event["customers"]) == everyone

    body = await resolved_gql.as_actor("ann")(MERGE, ids=[big, small], reason="again")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # one profile now


async def test_split_gives_the_record_a_profile_of_its_own(fresh_resolved, resolved_gql) -> None:
    profiles = profiles_of(fresh_resolved)
    old = min(p for p, m in profiles.items() if len(m) == 3)
    cid, *rest = profiles[old]

    out = (await resolved_gql.as_actor("ann").data(SPLIT, id=cid, reason="different person"))[
        "splitCustomer"
    ]
    new = out["profile"]
    assert new["id"] != old and new["size"] == 1
    assert new["customers"] == [{"id": cid}] and new["materialisedCustomerIds"] == [cid]
    assert new["splitFrom"] == [old]
    assert out["customer"] == {"id": cid, "profile": {"id": new["id"]}}
    assert out["previousProfile"] == {"id": old, "size": 2, "materialisedCustomerIds": rest}

    # Its edges to the records it left are rejected, so a re-run keeps it apart.
    edges = (await resolved_gql.data(MATCHES_OF, id=cid))["customer"]["matches"]["edges"]
    decided = {e["node"]["other"]["id"]: e["node"]["status"] for e in edges}
    assert all(decided[other] == "rejected" for other in rest)

    (event,) = _audit(fresh_resolved)
    assert (event["action"], event["actor"]) == ("splitCustomer", "key:ann")

    body = await resolved_gql.as_actor("ann")(SPLIT, id=cid, reason="again")
    assert "already alone" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_mutations_are_refused_over_get(resolved_gql) -> None:
    response = await resolved_gql.client.get(
        "/graphql",
        params={"query": 'mutation { splitCustomer(customerId: "x", reason: "r") { __typename } }'},
        headers={"Accept": "application/json", **resolved_gql.headers},
    )
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


METRICS = "query($id: ID!) { profile(id: $id) { id metrics { name value } } }"


def _max_purchases(resolved) -> dict[str, float]:
    """customerId -> the record's largest online purchase, read from the graph."""
    rows = resolved.rows(
        "MATCH (c:Customer)-[:PERFORMED]->(i:Interaction) WHERE i.type = 'purchase' "
        "RETURN c.customerId AS c, max(i.value) AS top"
    )
    return {r["c"]: float(r["top"]) for r in rows}


async def _metric(gql, profile_id: str, name: str):
    metrics = (await gql.data(METRICS, id=profile_id))["profile"]["metrics"]
    return {m["name"]: m["value"] for m in metrics}[name]


async def test_merge_and_split_recompute_the_profiles_metrics(fresh_resolved, resolved_gql):
    """A steward's merge makes the survivor count every member's interactions at once; a
    split gives each side its own (no batch run needed)."""
    tops = _max_purchases(fresh_resolved)
    profiles = profiles_of(fresh_resolved)

    def best(p: str) -> float | None:
        found = [tops[c] for c in profiles[p] if c in tops]
        return max(found) if found else None

    bigs = sorted(p for p, m in profiles.items() if len(m) == 3 and best(p) is not None)
    smalls = sorted(p for p, m in profiles.items() if len(m) == 2 and best(p) is not None)
    big, small = next((b, s) for b in bigs for s in smalls if best(s) > best(b))
    everyone = profiles[big] + profiles[small]

    steward = resolved_gql.as_actor("ann")
    merged = (await steward.data(MERGE, ids=[small, big], reason="same person"))["mergeProfiles"]
    assert merged["profile"]["id"] == big
    assert await _metric(resolved_gql, big, "maxOnlinePurchase") == best(small)

    # split off the record with the largest purchase: both sides follow
    top = max((c for c in everyone if c in tops), key=lambda c: tops[c])
    split = (await steward.data(SPLIT, id=top, reason="not the same"))["splitCustomer"]
    alone = split["profile"]["id"]
    assert await _metric(resolved_gql, alone, "maxOnlinePurchase") == tops[top]
    rest = [tops[c] for c in everyone if c != top and c in tops]
    assert await _metric(resolved_gql, big, "maxOnlinePurchase") == (max(rest) if rest else None)
