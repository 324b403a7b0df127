"""Metric definitions: the starter set loads in dependency order; bad definitions are refused
with the metric and field named, and the running set stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.metrics import registry
from app.metrics.definitions import MetricDefinitionError, parse_definition, read_file
from app.metrics.models import FORMAT
from app.settings import Settings
from tests.metrics.conftest import use_definitions


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_starter_set_loads_with_every_kind_and_dependencies_first(settings: Settings) -> None:
    defs = registry.running(settings)
    names = [d.name for d in defs]
    assert {d.kind for d in defs} >= {"factual", "aggregate", "formula", "preference"}
    for d in defs:
        for dep in d.depends_on():
            assert names.index(dep) < names.index(d.name)


def _refused(settings: Settings, raw: dict) -> str:
    before = registry.running(settings)
    file = registry.defined_file(settings)
    saved = file.read_text() if file.exists() else None
    with pytest.raises(MetricDefinitionError) as err:
        registry.define(settings, parse_definition(raw))
    assert registry.running(settings) == before, "a refused definition changed the running set"
    assert (file.read_text() if file.exists() else None) == saved
    return str(err.value)


def test_formula_with_an_unknown_metric_is_refused(settings: Settings) -> None:
    message = _refused(
        settings, {"name": "ratio", "kind": "formula", "expression": "spend90d / visits"}
    )
    assert "'ratio'" in message and "expression" in message and "visits" in message


def test_cycle_is_refused_with_its_path(settings: Settings) -> None:
    registry.define(settings, parse_definition({"name": "a", "kind": "formula", "expression": "1"}))
    registry.define(
        settings, parse_definition({"name": "b", "kind": "formula", "expression": "a + 1"})
    )
    message = _refused(settings, {"name": "a", "kind": "formula", "expression": "b * 2"})
    assert "cycle" in message and "a -> b -> a" in message
    assert next(d for d in registry.running(settings) if d.name == "a").expression == "1"


@pytest.mark.parametrize("window", ["9x", "0d", "30", "weekly"])
def test_a_window_that_does_not_parse_is_refused(settings: Settings, window: str) -> None:
    message = _refused(
        settings, {"name": "spendX", "kind": "aggregate", "agg": "sum", "window": window}
    )
    assert "'spendX'" in message and "field window" in message and repr(window) in message


def test_a_model_file_that_does_not_load_is_refused(settings: Settings) -> None:
    missing = _refused(settings, {"name": "score", "kind": "model", "model": "nope.json"})
    assert "'score'" in missing and "field model" in missing
    assert "no model named 'nope.json' in the models folder" in missing
    models = registry.model_dir(settings)
    models.mkdir(parents=True, exist_ok=True)
    (models / "garbage.json").write_text("{not json")
    message = _refused(settings, {"name": "score", "kind": "model", "model": "garbage"})
    assert "field model" in message and "does not load" in message
    model = {
        "format": FORMAT,
        "features": ["nothing"],
        "mean": [0],
        "scale": [1],
        "coef": [1],
        "intercept": 0,
        "version": "v1",
    }
    (models / "wrong.json").write_text(json.dumps(model))
    message = _refused(settings, {"name": "score", "kind": "model", "model": "wrong.json"})
    assert "unknown metric(s) nothing" in message


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../../etc/passwd", "models/x.json", "/nonexistent/x.json", "a b"]
)
def test_a_model_is_named_not_a_path(settings: Settings, path: str) -> None:
    """The server's files cannot be probed through a metric definition: any path gets one
    answer, which names no file (issue 14)."""
    message = _refused(settings, {"name": "score", "kind": "model", "model": path})
    assert "give a model's name in the models folder" in message
    assert path not in message and str(settings.data_dir) not in message


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"name": "bad_name", "kind": "formula", "expression": "1"}, ["field name"]),
        ({"name": "x", "kind": "magic"}, ["field kind", "'magic'"]),
        ({"name": "x", "kind": "aggregate", "agg": "median"}, ["field agg"]),
        ({"name": "x", "kind": "formula", "expression": "a and b"}, ["&"]),
        ({"name": "x", "kind": "formula", "expression": "__import__('os')"}, ["functions"]),
        ({"name": "x", "kind": "formula", "expression": "(1"}, ["cannot parse"]),
        (
            {"name": "x", "kind": "preference", "responses": [], "over": "channel"},
            ["field responses"],
        ),
        (
            {"name": "x", "kind": "preference", "responses": ["call"], "hours": [5, 5]},
            ["field hours"],
        ),
        ({"name": "x", "kind": "factual", "field": "city", "colour": "red"}, ["colour"]),
    ],
)
def test_field_errors_name_the_metric_and_field(raw: dict, words: list[str]) -> None:
    with pytest.raises(MetricDefinitionError) as err:
        parse_definition(raw)
    message = str(err.value)
    assert message.startswith(f"metric {raw['name']!r}")
    for word in words:
        assert word in message


def test_a_user_file_replaces_the_starter_and_errors_name_the_entry(
    settings: Settings, tmp_path: Path
) -> None:
    mine = use_definitions(
        settings,
        tmp_path,
        "metrics:\n  - {name: calls, kind: aggregate, agg: count, where: {types: [call]}}\n",
    )
    assert [d.name for d in registry.running(mine)] == ["calls"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics:\n  - {kind: aggregate, agg: count}\n")
    with pytest.raises(MetricDefinitionError, match=r"metric #1 of bad.yaml: field name"):
        read_file(bad)


def test_defined_metrics_persist_in_the_data_folder(settings: Settings) -> None:
    raw = {
        "name": "calls7d",
        "kind": "aggregate",
        "agg": "count",
        "where": {"types": ["call"]},
        "window": "7d",
    }
    registry.define(settings, parse_definition(raw))
    assert "calls7d" in registry.defined_file(settings).read_text()
    fresh = Settings(data_dir=settings.data_dir)  # e.g. a restarted server
    assert any(d.name == "calls7d" for d in registry.running(fresh))
