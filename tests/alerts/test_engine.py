"""evaluate_changes on the store: alerts become Alert nodes about their entity, with cooldown,
scopes, household decision-makers, and rules that stay as they were when a new set is bad."""

from __future__ import annotations

import pytest

from app.alerts import AlertRuleError, evaluate_changes
from app.alerts.manage import define_rule
from tests.alerts.conftest import Rules, alerts_in_graph, change, household, profile
from tests.api.conftest import CountingStore

SPEND = """
rules:
  - name: big-spender
    metric: spend_90d
    condition: above
    threshold: 1000
    cooldown: 1h
    message: Thank them.
"""
HOUR_MS = 3_600_000
T0 = 1_800_000_000_000


def test_a_change_above_the_threshold_becomes_an_alert_about_the_profile(store, rules: Rules):
    settings = rules(SPEND)
    profile(store, "PR-1")
    fired = evaluate_changes(store, settings, [change("spend_90d", 1500.0, 900.0)], now=T0)
    assert [(a.rule, a.entity_id, a.value, a.previous) for a in fired] == [
        ("big-spender", "PR-1", 1500.0, 900.0)
    ]
    [alert] = alerts_in_graph(store)
    assert alert["alertId"] == fired[0].alert_id
    assert (alert["aboutLabel"], alert["about"]) == ("Profile", "PR-1")
    assert alert["rule"] == "big-spender"
    assert alert["metric"] == "spend_90d"
    assert alert["value"] == 1500.0
    assert alert["threshold"] == 1000.0
    assert alert["condition"] == "above"
    assert alert["status"] == "open"
    assert alert["message"] == "Thank them."
    assert alert["observedAt"] == "2026-11-25T12:00:00Z"
    assert alert["firedAt"].endswith("Z")


def test_changes_that_meet_no_rule_cost_no_store_round_trip(store, rules: Rules):
    settings = rules(SPEND, alert_rules_refresh_s=60.0)
    profile(store, "PR-1")
    counting = CountingStore(store)
    evaluate_changes(counting, settings, [change("spend_90d", 10.0)])  # loads the rules
    counting.reset_counts()
    changes = [change("spend_90d", 500.0), change("other_metric", 5000.0)] * 50
    assert evaluate_changes(counting, settings, changes) == []
    assert counting.round_trips == 0


def test_cooldown_is_per_rule_and_entity(store, rules: Rules):
    settings = rules(SPEND)
    profile(store, "PR-1")
    profile(store, "PR-2")
    up = change("spend_90d", 2000.0)
    assert len(evaluate_changes(store, settings, [up], now=T0)) == 1
    assert evaluate_changes(store, settings, [up], now=T0 + HOUR_MS - 1) == []
    # another profile is not cooling down
    assert (
        len(
            evaluate_changes(
                store, settings, [change("spend_90d", 2000.0, entity="PR-2")], now=T0 + 10
            )
        )
        == 1
    )
    assert len(evaluate_changes(store, settings, [up], now=T0 + HOUR_MS)) == 1
    assert len(alerts_in_graph(store)) == 3


def test_one_alert_per_rule_and_entity_in_a_batch(store, rules: Rules):
    settings = rules(SPEND)
    profile(store, "PR-1")
    batch = [change("spend_90d", 1200.0), change("spend_90d", 1300.0)]
    fired = evaluate_changes(store, settings, batch, now=T0)
    assert [a.value for a in fired] == [1300.0]  # the latest speaks


def test_no_alert_about_an_entity_not_in_the_graph(store, rules: Rules):
    settings = rules(SPEND)
    assert evaluate_changes(store, settings, [change("spend_90d", 5000.0)], now=T0) == []
    assert alerts_in_graph(store) == []


SCOPES = """
rules:
  - name: one-vip
    metric: spend_90d
    condition: above
    threshold: 100
    scope: {entity: PR-VIP}
  - name: gold-members
    metric: spend_90d
    condition: below
    threshold: 50
    scope:
      where: {dna_segment: gold}
  - name: long-standing
    metric: spend_90d
    condition: below
    threshold: 10
    scope:
      where:
        - {property: dna_tenure_days, op: ge, value: 365}
        - {property: dna_segment, op: in, value: [gold, silver]}
"""


def test_scopes_one_entity_a_collection_and_every_entity(store, rules: Rules):
    settings = rules(SCOPES)
    profile(store, "PR-VIP", dna_segment="bronze")
    profile(store, "PR-GOLD", dna_segment="gold", dna_tenure_days=400)
    profile(store, "PR-SILVER-NEW", dna_segment="silver", dna_tenure_days=20)
    profile(store, "PR-SILVER-OLD", dna_segment="silver", dna_tenure_days=900)
    changes = [
        change("spend_90d", 500.0, entity="PR-VIP"),
        change("spend_90d", 500.0, entity="PR-GOLD"),  # above 100 but not PR-VIP
        change("spend_90d", 5.0, entity="PR-GOLD"),  # gold, below 50 and 10, tenure 400
        change("spend_90d", 5.0, entity="PR-SILVER-NEW"),  # silver but new
        change("spend_90d", 5.0, entity="PR-SILVER-OLD"),  # not gold; old silver
    ]
    counting = CountingStore(store)
    fired = evaluate_changes(counting, settings, changes, now=T0)
    got = sorted((a.rule, a.entity_id) for a in fired)
    assert got == [
        ("gold-members", "PR-GOLD"),
        ("long-standing", "PR-GOLD"),
        ("long-standing", "PR-SILVER-OLD"),
        ("one-vip", "PR-VIP"),
    ]
    # rules (1 read) + the collection's properties in one batched read + one write
    assert counting.round_trips == 3


def test_every_entity_of_a_label_and_no_other_label(store, rules: Rules):
    settings = rules(
        "rules: [{name: any-household, metric: members, label: Household, "
        "condition: above, threshold: 4}]"
    )
    profile(store, "PR-1")
    household(store, "HH-1", {"PR-1": "member"})
    household(store, "HH-2", {})
    fired = evaluate_changes(
        store,
        settings,
        [
            change("members", 5, label="Household", entity="HH-1"),
            change("members", 6, label="Household", entity="HH-2"),
            change("members", 9, label="Profile", entity="PR-1"),
        ],
        now=T0,
    )
    assert sorted((a.label, a.entity_id) for a in fired) == [
        ("Household", "HH-1"),
        ("Household", "HH-2"),
    ]


PLAN = """
rules:
  - name: over-plan
    metric: data_usage_plan_ratio
    label: Household
    condition: above
    threshold: 1.0
    for: 2
    message: Suggest a larger plan.
"""


def test_household_over_plan_two_months_is_addressed_to_the_decision_maker(store, rules: Rules):
    settings = rules(PLAN)
    for p in ("PR-A", "PR-B", "PR-C"):
        profile(store, p)
    household(store, "HH-1", {"PR-A": "member", "PR-B": "decision_maker", "PR-C": "member"})
    household(store, "HH-2", {"PR-C": "member"})
    one_month = change("data_usage_plan_ratio", 1.3, 0.8, "HH-1", "Household", (0.8, 1.3))
    assert evaluate_changes(store, settings, [one_month], now=T0) == []
    two_months = change("data_usage_plan_ratio", 1.2, 1.3, "HH-1", "Household", (0.8, 1.3, 1.2))
    no_dm = change("data_usage_plan_ratio", 1.5, 1.4, "HH-2", "Household", (1.4, 1.5))
    fired = evaluate_changes(store, settings, [two_months, no_dm], now=T0)
    by_entity = {a.entity_id: a for a in fired}
    assert by_entity["HH-1"].decision_maker_id == "PR-B"
    assert by_entity["HH-2"].decision_maker_id is None
    stored = {a["about"]: a for a in alerts_in_graph(store)}
    assert stored["HH-1"]["decisionMakerId"] == "PR-B"
    assert stored["HH-1"]["aboutLabel"] == "Household"
    assert "decisionMakerId" not in stored["HH-2"]


def test_a_bad_rules_file_is_refused_with_rule_and_field(store, rules: Rules):
    settings = rules("rules: [{name: x, metric: spend_90d, condition: over, threshold: 1}]")
    with pytest.raises(AlertRuleError, match=r"rule 'x'.*condition"):
        evaluate_changes(store, settings, [change("spend_90d", 5.0)])


def test_a_rules_file_turned_bad_leaves_the_running_rules(store, rules: Rules):
    settings = rules(SPEND)
    profile(store, "PR-1")
    profile(store, "PR-2")
    assert len(evaluate_changes(store, settings, [change("spend_90d", 2000.0)], now=T0)) == 1
    assert settings.alert_rules_file is not None
    settings.alert_rules_file.write_text(SPEND.replace("threshold: 1000", "threshold: lots"))
    fired = evaluate_changes(store, settings, [change("spend_90d", 2000.0, entity="PR-2")], now=T0)
    assert [(a.rule, a.threshold) for a in fired] == [("big-spender", 1000.0)]


def test_a_defined_rule_runs_at_once_and_a_bad_one_changes_nothing(store, rules: Rules):
    settings = rules("rules: []", alert_rules_refresh_s=3600.0)
    profile(store, "PR-1")
    define_rule(
        store,
        settings,
        {
            "name": "drop",
            "metric": "spend_90d",
            "condition": "crosses",
            "threshold": 100,
            "direction": "down",
        },
        "ana",
    )
    with pytest.raises(AlertRuleError, match=r"rule 'drop'.*for.*needs above or below"):
        define_rule(
            store,
            settings,
            {
                "name": "drop",
                "metric": "spend_90d",
                "condition": "crosses",
                "threshold": 5,
                "for": 3,
            },
            "ana",
        )
    fired = evaluate_changes(store, settings, [change("spend_90d", 90.0, 120.0)], now=T0)
    assert [(a.rule, a.threshold, a.condition) for a in fired] == [("drop", 100.0, "crosses")]


def test_a_big_batch_is_written_in_store_batches(store, rules: Rules):
    settings = rules(
        SPEND.replace(
            "metric: spend_90d", "metric: spend_90d\n    scope: {where: {dna_segment: gold}}"
        ),
        batch_size=2,
    )
    for i in range(5):
        profile(store, f"PR-{i}", dna_segment="gold")
    counting = CountingStore(store)
    changes = [change("spend_90d", 2000.0, entity=f"PR-{i}") for i in range(5)]
    fired = evaluate_changes(counting, settings, changes, now=T0)
    assert sorted(a.entity_id for a in fired) == [f"PR-{i}" for i in range(5)]
    assert len(alerts_in_graph(store)) == 5
    assert counting.round_trips == 1 + 3 + 3  # rules, 3 property reads, 3 writes
