"""Rule validation: every bad field is refused with the rule's name, the field and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.alerts.rules import (
    AlertRuleError,
    load_rules_file,
    parse_duration,
    parse_rule,
    parse_rules,
)

GOOD = {"name": "r1", "metric": "spend_90d", "condition": "above", "threshold": 10}


def test_the_starter_rules_are_valid_and_name_their_metrics():
    rules = load_rules_file(None)
    assert {r.metric for r in rules} == {"spend90d", "complaints90d", "dataUsageVsPlan"}
    plan = next(r for r in rules if r.label == "Household")
    assert plan.periods == 2 and plan.condition == "above"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"condition": "over"}, r"rule 'r1': condition: Input should be 'above', 'below'"),
        ({"threshold": "lots"}, r"rule 'r1': threshold: Input should be a valid number"),
        ({"threshold": float("nan")}, r"threshold: the threshold must be a finite number"),
        ({"metric": "dna_spend_90d"}, r"metric: name the metric without the dna_ prefix"),
        ({"metric": "spend 90d"}, r"metric: 'spend 90d' is not a metric name"),
        ({"name": "Bad Name"}, r"rule 'Bad Name': name: 'Bad Name' is not a rule name"),
        ({"label": "Customer"}, r"label: Input should be 'Profile' or 'Household'"),
        ({"condition": "crosses", "for": 2}, r"'for' \(consecutive periods\) needs above or below"),
        ({"direction": "up"}, r"direction applies to crosses and change_pct, not above"),
        ({"condition": "change_pct", "threshold": 0}, r"change_pct needs a threshold above 0"),
        ({"cooldown": "soon"}, r"cooldown: 'soon' is not a duration"),
        ({"for": 0}, r"for: Input should be greater than or equal to 1"),
        ({"colour": "red"}, r"colour: Extra inputs are not permitted"),
        ({"scope": {"entity": "PR-1", "where": {"a": 1}}}, r"scope: give entity .* not both"),
        ({"scope": {"where": [{"property": "x; DROP", "value": 1}]}}, r"is not a property name"),
        (
            {"scope": {"where": [{"property": "x", "op": "in", "value": 1}]}},
            r"op 'in' takes a list",
        ),
        ({"webhooks": ["nowhere"]}, r"webhooks: nowhere not configured; configured: crm"),
    ],
)
def test_a_bad_rule_is_refused_naming_rule_field_and_reason(change, reason):
    with pytest.raises(AlertRuleError, match=reason):
        parse_rule({**GOOD, **change}, webhooks=["crm"])


def test_a_rule_without_threshold_names_the_missing_field():
    with pytest.raises(AlertRuleError, match=r"rule 'r1': threshold: Field required"):
        parse_rule({k: v for k, v in GOOD.items() if k != "threshold"})


def test_a_file_reports_every_bad_rule_and_duplicate_names(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n"
        "  - {name: a, metric: m, condition: above, threshold: 1}\n"
        "  - {name: b, metric: m, condition: sideways, threshold: 1}\n"
        "  - {name: a, metric: m, condition: below, threshold: 1}\n"
        "  - just text\n"
    )
    with pytest.raises(AlertRuleError) as err:
        load_rules_file(path)
    text = str(err.value)
    assert str(path) in text
    assert "#2 rule 'b': condition" in text
    assert "rule 'a': name: defined twice" in text
    assert "#4 rule: a rule is a mapping of fields, not str" in text


def test_a_missing_file_and_a_wrong_shape_say_so(tmp_path: Path):
    with pytest.raises(AlertRuleError, match="cannot read alert rules file"):
        load_rules_file(tmp_path / "nope.yaml")
    with pytest.raises(AlertRuleError, match="expected a mapping with one key, rules"):
        parse_rules("- {name: a}", "x.yaml")
    with pytest.raises(AlertRuleError, match="not valid YAML"):
        parse_rules("rules: [", "x.yaml")


def test_shorthand_filters_durations_and_round_trip():
    rule = parse_rule(
        {**GOOD, "scope": {"where": {"dna_segment": "gold"}}, "cooldown": "2h", "for": 3}
    )
    assert rule.scope.kind == "collection"
    assert [(f.property, f.op, f.value) for f in rule.scope.where] == [
        ("dna_segment", "eq", "gold")
    ]
    assert rule.cooldown == 7200
    assert parse_rule(rule.definition()) == rule
    assert [parse_duration(x) for x in (90, "90s", "15m", "2h", "7d", "0")] == [
        90,
        90,
        900,
        7200,
        604800,
        0,
    ]
