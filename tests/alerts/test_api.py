"""Alerts through the ASGI app: define rules (and be refused with the reason), list alerts by
status and entity, acknowledge them under the X-Actor, and the app's delivery worker posting
to a real local webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest

from app.alerts import evaluate_changes
from app.api.app import create_app
from app.audit import TrailFilter, trail
from app.settings import Settings
from app.store import GraphStore
from tests.alerts.conftest import Rules, change, household, profile
from tests.alerts.receiver import receiver
from tests.api.conftest import CountingStore, GraphQL

Serve = Callable[[Settings], AbstractAsyncContextManager[GraphQL]]

FILE_RULES = """
rules:
  - {name: big-spender, metric: spend_90d, condition: above, threshold: 1000, cooldown: 0}
"""
DEFINE = """
mutation($rule: AlertRuleInput!) {
  defineAlertRule(rule: $rule) {
    name metric label condition threshold direction periods scope entityId
    where { property op value } cooldownSeconds webhooks message origin
  }
}
"""
RULES = "{ alertRules { name origin condition threshold } }"
ALERTS = """
query($status: String, $entityId: ID, $first: Int, $after: String) {
  alerts(status: $status, entityId: $entityId, first: $first, after: $after) {
    edges { node {
      id rule metric label entityId value previous threshold condition status message
      acknowledgedBy acknowledgedAt decisionMakerId
      profile { id } decisionMaker { id } deliveries { webhook status attempts }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ACK = """
mutation($id: ID!) { acknowledgeAlert(id: $id) { id status acknowledgedBy acknowledgedAt } }
"""


@pytest.fixture
def serve(store: GraphStore) -> Serve:
    @asynccontextmanager
    async def run(settings: Settings) -> AsyncIterator[GraphQL]:
        app = create_app(settings, store_factory=lambda _s: CountingStore(store))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                yield GraphQL(c, store)

    return run


def _nodes(data: dict) -> list[dict]:
    return [e["node"] for e in data["alerts"]["edges"]]


async def test_define_list_and_acknowledge(store, rules: Rules, serve: Serve):
    settings = rules(FILE_RULES)
    profile(store, "PR-1", dna_segment="gold")
    profile(store, "PR-2", dna_segment="silver")
    async with serve(settings) as gql:
        defined = await gql.as_actor("Ana").data(
            DEFINE,
            rule={
                "name": "gold-drop",
                "metric": "spend_90d",
                "condition": "change_pct",
                "direction": "down",
                "threshold": 40,
                "where": [{"property": "dna_segment", "value": "gold"}],
                "cooldown": "2h",
                "message": "Call them.",
            },
        )
        assert defined["defineAlertRule"] == {
            "name": "gold-drop",
            "metric": "spend_90d",
            "label": "Profile",
            "condition": "change_pct",
            "threshold": 40.0,
            "direction": "down",
            "periods": 1,
            "scope": "collection",
            "entityId": None,
            "where": [{"property": "dna_segment", "op": "eq", "value": "gold"}],
            "cooldownSeconds": 7200,
            "webhooks": None,
            "message": "Call them.",
            "origin": "graphql",
        }
        listed = (await gql.data(RULES))["alertRules"]
        assert [(r["name"], r["origin"]) for r in listed] == [
            ("big-spender", "file"),
            ("gold-drop", "graphql"),
        ]
        fired = evaluate_changes(
            store,
            settings,
            [
                change("spend_90d", 500.0, 1000.0, entity="PR-1"),  # gold, -50 %
                change("spend_90d", 500.0, 1000.0, entity="PR-2"),  # silver
                change("spend_90d", 1500.0, 500.0, entity="PR-2"),  # big spender
            ],
        )
        assert sorted((a.rule, a.entity_id) for a in fired) == [
            ("big-spender", "PR-2"),
            ("gold-drop", "PR-1"),
        ]
        everything = _nodes(await gql.data(ALERTS))
        assert {(n["rule"], n["entityId"], n["profile"]["id"]) for n in everything} == {
            ("big-spender", "PR-2", "PR-2"),
            ("gold-drop", "PR-1", "PR-1"),
        }
        [drop] = _nodes(await gql.data(ALERTS, entityId="PR-1"))
        assert (drop["value"], drop["previous"], drop["status"]) == (500.0, 1000.0, "open")
        assert drop["message"] == "Call them." and drop["deliveries"] == []

        zoe = gql.as_actor("Zoë", roles=["support"])  # a support agent acknowledges
        acked = (await zoe.data(ACK, id=drop["id"]))["acknowledgeAlert"]
        assert (acked["status"], acked["acknowledgedBy"]) == ("acknowledged", "key:Zoë")
        again = (await gql.as_actor("Bob").data(ACK, id=drop["id"]))["acknowledgeAlert"]
        assert again == acked  # the first acknowledgement stays
        # ... and only it is in the audit trail (Bob's changed nothing).
        acks = trail(store, TrailFilter(entity_id=drop["id"])).events
        assert [(e.action, e.actor) for e in acks] == [("acknowledgeAlert", "key:Zoë")]

        open_ = _nodes(await gql.data(ALERTS, status="open"))
        assert [n["rule"] for n in open_] == ["big-spender"]
        done = _nodes(await gql.data(ALERTS, status="acknowledged"))
        assert [(n["id"], n["acknowledgedBy"]) for n in done] == [(drop["id"], "key:Zoë")]

        remove = "mutation($name: String!) { removeAlertRule(name: $name) }"
        assert (await gql.as_actor("Ana").data(remove, name="gold-drop"))["removeAlertRule"]
        assert not (await gql.as_actor("Ana").data(remove, name="gold-drop"))["removeAlertRule"]
        refused = await gql.as_actor("Ana")(remove, name="big-spender")
        assert "comes from the rules file" in refused["errors"][0]["message"]
        assert [r["name"] for r in (await gql.data(RULES))["alertRules"]] == ["big-spender"]
        assert len(_nodes(await gql.data(ALERTS))) == 2  # its alerts stay


async def test_a_bad_rule_is_refused_and_the_running_rules_stay(store, rules: Rules, serve):
    settings = rules(FILE_RULES)
    profile(store, "PR-1")
    async with serve(settings) as gql:
        before = await gql.data(RULES)
        bad = await gql.as_actor("Ana")(
            DEFINE,
            rule={
                "name": "x",
                "metric": "spend_90d",
                "condition": "crosses",
                "threshold": 5,
                "periods": 2,
            },
        )
        [error] = bad["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "rule 'x'" in error["message"] and "needs above or below" in error["message"]
        clash = await gql.as_actor("Ana")(
            DEFINE,
            rule={"name": "big-spender", "metric": "m", "condition": "above", "threshold": 1},
        )
        assert "defined in the rules file" in clash["errors"][0]["message"]
        steward = await gql.as_role("steward")(  # defining rules is the admin's
            DEFINE, rule={"name": "y", "metric": "m", "condition": "above", "threshold": 1}
        )
        assert steward["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "defineAlertRule" in steward["errors"][0]["message"]
        assert await gql.data(RULES) == before
        # the file's rule still runs as it was
        [alert] = evaluate_changes(store, settings, [change("spend_90d", 1001.0)])
        assert (alert.rule, alert.threshold) == ("big-spender", 1000.0)


async def test_acknowledging_needs_a_role_that_may_and_an_existing_alert(store, rules, serve):
    async with serve(rules(FILE_RULES)) as gql:
        missing = await gql.as_actor("Ana")(ACK, id="AL-nope")
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        anonymous = await gql.anonymous()(ACK, id="AL-nope")
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        marketer = await gql.as_role("marketer")(ACK, id="AL-nope")
        assert marketer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        closed = await gql(ALERTS, status="closed")
        assert closed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "status must be one of open, acknowledged" in closed["errors"][0]["message"]


async def test_alerts_are_paged_newest_first(store, rules: Rules, serve: Serve):
    settings = rules(FILE_RULES)
    for i in range(3):
        profile(store, f"PR-{i}")
        evaluate_changes(
            store,
            settings,
            [change("spend_90d", 2000.0, entity=f"PR-{i}")],
            now=1_800_000_000_000 + i,
        )
    async with serve(settings) as gql:
        first = (await gql.data(ALERTS, first=2))["alerts"]
        assert [e["node"]["entityId"] for e in first["edges"]] == ["PR-2", "PR-1"]
        assert first["pageInfo"]["hasNextPage"] is True
        rest = (await gql.data(ALERTS, first=2, after=first["pageInfo"]["endCursor"]))["alerts"]
        assert [e["node"]["entityId"] for e in rest["edges"]] == ["PR-0"]
        assert rest["pageInfo"]["hasNextPage"] is False


async def test_the_running_app_delivers_household_alerts_to_the_webhook(
    store, rules: Rules, serve: Serve
):
    plan = (
        "rules: [{name: over-plan, metric: data_usage_plan_ratio, label: Household, "
        "condition: above, threshold: 1, for: 2, message: Suggest a larger plan.}]"
    )
    profile(store, "PR-DM")
    profile(store, "PR-KID")
    household(store, "HH-1", {"PR-DM": "decision_maker", "PR-KID": "member"})
    with receiver() as hook:
        settings = rules(plan, webhooks={"crm": hook.url}, webhook_poll_s=0.05)
        async with serve(settings) as gql:
            usage = change("data_usage_plan_ratio", 1.2, 1.1, "HH-1", "Household", (1.1, 1.2))
            [alert] = await asyncio.to_thread(evaluate_changes, store, settings, [usage])
            for _ in range(100):  # the worker posts, then records the delivery
                rows, _ = store.run_text(
                    "MATCH (d:WebhookDelivery {status: 'delivered'}) RETURN d.alertId AS a",
                    write=False,
                )
                if rows:
                    break
                await asyncio.sleep(0.05)
            [node] = _nodes(await gql.data(ALERTS))
        [got] = hook.bodies()
    assert got["alertId"] == alert.alert_id == node["id"]
    assert got["decisionMakerId"] == "PR-DM" == node["decisionMaker"]["id"]
    assert got["message"] == "Suggest a larger plan."
    assert node["label"] == "Household" and node["profile"] is None
    assert node["deliveries"] == [{"webhook": "crm", "status": "delivered", "attempts": 1}]
