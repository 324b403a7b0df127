"""Batch metrics on a resolved synthetic population (the demo's kind of data): the starter
set computes, batch and per-profile computation agree, an event's changes are what a batch
would find, and a propensity model trains on the graph's own history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app import flows
from app.metrics import registry
from app.metrics.batch import fit_model, resolve_now, run_batch
from app.metrics.compute import evaluate, run
from app.metrics.events import interaction_row, record_interaction
from app.metrics.storage import State, prop
from app.settings import Settings


@pytest.fixture
def settings(fresh_resolved, tmp_path: Path) -> Settings:
    """The resolved graph's settings with a data folder of this test's own."""
    return fresh_resolved.settings.model_copy(update={"data_dir": tmp_path / "data"})


def test_starter_metrics_on_a_resolved_population(fresh_resolved, settings: Settings) -> None:
    store = fresh_resolved.store.inner
    now = resolve_now(store, "latest")
    summary = run_batch(store, settings, now, show_progress=False)
    active = fresh_resolved.rows("MATCH (p:Profile {status: 'active'}) RETURN count(p) AS n")
    assert summary.profiles == active[0]["n"] > 100
    assert summary.metrics == len(registry.running(settings))
    assert summary.profiles_written == summary.profiles  # first run: every profile is new

    rows = fresh_resolved.rows(
        "MATCH (p:Profile {status: 'active'}) RETURN p.profileId AS id, "
        "p.dna_spend90d AS s90, p.dna_spend30d AS s30, p.dna_purchases90d AS n90, "
        "p.dna_preferredChannel AS pref, p.dna_homeCity AS city"
    )
    assert all(r["s90"] >= r["s30"] >= 0 for r in rows)
    assert sum(r["n90"] for r in rows) > 0
    assert {r["pref"] for r in rows} - {None} <= {"web", "app", "email", "store", "phone"}
    assert sum(r["city"] is not None for r in rows) > len(rows) / 2

    # one profile by hand, straight from its interactions
    busy = max(rows, key=lambda r: r["n90"])
    since = int((now - timedelta(days=90)).timestamp() * 1000)
    mine = fresh_resolved.rows(
        "MATCH (:Profile {profileId: $id})<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i) "
        "RETURN i.type AS type, i.ts AS ts, i.value AS value",
        id=busy["id"],
    )
    bought = [r for r in mine if r["type"] in ("purchase", "pos") and r["ts"] > since]
    assert busy["n90"] == len(bought)
    assert busy["s90"] == pytest.approx(sum(r["value"] or 0 for r in bought))


def test_batch_and_per_profile_computation_agree(fresh_resolved, settings: Settings) -> None:
    store = fresh_resolved.store.inner
    now = resolve_now(store, "latest")
    defs = registry.running(settings)
    batch = evaluate(store, defs, now, registry.model_dir(settings), page=settings.read_page)
    for pid in batch.ids[:: max(1, len(batch.ids) // 12)]:
        one = evaluate(store, defs, now, registry.model_dir(settings), ids=[pid], page=1)
        assert one.ids == [pid]
        for d in defs:
            assert one.columns[d.name] == [batch.value(pid, d.name)], (pid, d.name)


def test_an_events_changes_are_what_the_next_batch_finds(
    fresh_resolved, settings: Settings
) -> None:
    store = fresh_resolved.store.inner
    now = resolve_now(store, "latest")
    defs = registry.running(settings)
    run(store, settings, defs, now)
    member = fresh_resolved.rows(
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile {status: 'active'}) "
        "RETURN c.customerId AS c, p.profileId AS p ORDER BY c.customerId LIMIT 1"
    )[0]
    before = store.read_one("metrics_state_of", ids=[member["p"]])
    assert before is not None
    spent = State.parse(before["state"]).values["spend90d"]
    source, key = member["c"].split(":", 1)
    when = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    result = record_interaction(
        store, settings, interaction_row(source, key, "purchase", when, "web", 100.0, "T1"), now
    )
    assert result.profile_id == member["p"]
    changed = {c.metric: c for c in result.changes}
    assert changed["spend90d"].previous == spent
    assert changed["spend90d"].value == pytest.approx(spent + 100.0)
    assert changed["spend90d"].history[-1] == pytest.approx(spent + 100.0)
    # a batch at the same moment finds nothing left to change
    assert run(store, settings, defs, now).changes == []


def _dna(fresh_resolved) -> list[Any]:
    """Every profile's metric properties as the graph holds them."""
    rows = fresh_resolved.rows(
        "MATCH (p:Profile) RETURN p.profileId AS id, properties(p) AS props ORDER BY id"
    )
    return [(r["id"], {k: v for k, v in r["props"].items() if k.startswith("dna")}) for r in rows]


def test_a_run_hands_on_the_changes_of_the_metrics_asked_for_and_counts_them_all(
    fresh_resolved, settings: Settings
) -> None:
    """A first run and a later one, handing on every change, then again from the same graph
    handing on two metrics': the same graph written, the same number and metrics of changes,
    and the changes handed on exactly those of the two metrics."""
    store = fresh_resolved.store.inner
    defs = registry.running(settings)
    now = resolve_now(store, "latest")
    later = now + timedelta(days=40)  # windows move on: values change, histories grow
    two = {"spend90d", "purchases90d"}

    def runs(handed_on: set[str] | None) -> list[Any]:
        fresh_resolved.reset()
        out = []
        for when in (now, later):
            summary = run(store, settings, defs, when, handed_on=handed_on)
            out.append((summary, _dna(fresh_resolved)))
        return out

    every, some = runs(None), runs(two)
    for (a, written_a), (b, written_b) in zip(every, some, strict=True):
        assert b.changes == [c for c in a.changes if c.metric in two]
        assert b.changes and len(b.changes) < len(a.changes)
        assert (a.changed_values, a.changed_metrics) == (
            len(a.changes),
            {c.metric for c in a.changes},
        )
        assert (b.changed_values, b.changed_metrics) == (a.changed_values, a.changed_metrics)
        assert written_b == written_a
    assert any(c.previous is not None for c in some[1][0].changes)  # the later run updated


def test_the_batch_keeps_what_the_alert_rules_watch_and_they_fire_on_it(
    fresh_resolved, settings: Settings, tmp_path: Path
) -> None:
    """`idgraph metrics`' flow keeps the changes of the metrics a running rule watches and
    hands them to the rules: a rule on spend90d above 0 fires once for every profile with
    some spend, and the batch kept no other metric's changes."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: any-spend\n    metric: spend90d\n    condition: above\n"
        "    threshold: 0\n    cooldown: 1d\n    message: spent\n"
    )
    settings = settings.model_copy(update={"alert_rules_file": rules})
    store = fresh_resolved.store.inner
    summary, raised = flows.metrics_batch(
        store, settings, resolve_now(store, "latest"), None, False
    )
    spenders = fresh_resolved.rows(
        "MATCH (p:Profile {status: 'active'}) WHERE p.dna_spend90d > 0 RETURN count(p) AS n"
    )[0]["n"]
    assert raised == spenders > 10
    assert {c.metric for c in summary.changes} == {"spend90d"}
    assert summary.changed_values > len(summary.changes)


def test_fit_model_defines_a_versioned_propensity_metric(
    fresh_resolved, settings: Settings
) -> None:
    store = fresh_resolved.store.inner
    now = resolve_now(store, "latest")
    model, auc, n, definition = fit_model(
        store, settings, "buyNext", ("purchase", "pos"), "30d", None, now, actor="tester"
    )
    # trained on every active profile, better than chance on the quarter held out, and the
    # metric says so
    assert n == len(store.read("metrics_profiles_active"))
    assert auc > 0.5
    assert f"held-out AUC {auc:.3f}" in definition.description
    assert (settings.data_dir / "models" / "buyNext.json").exists()
    assert any(d.name == "buyNext" for d in registry.running(settings))
    run(store, settings, registry.running(settings), now)
    features = ", ".join(f"p.{prop(f)} AS {f}" for f in model.features)
    rows = fresh_resolved.rows(
        f"MATCH (p:Profile {{status: 'active'}}) RETURN p.{prop('buyNext')} AS score, "
        f"p.{prop('buyNext', 'ver')} AS version, {features}"
    )
    # each profile's score is the saved model's on the metrics stored beside it
    columns = {
        f: np.array([np.nan if r[f] is None else float(r[f]) for r in rows]) for f in model.features
    }
    assert [r["score"] for r in rows] == model.score(columns, len(rows))
    assert {r["version"] for r in rows} == {model.version}
    assert len({r["score"] for r in rows}) > 5  # it tells people apart
