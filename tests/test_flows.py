"""The flows every door uses (app/flows.py): one resolution writer at a time across
processes, and the change feed delivered to subscribed webhooks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import flows
from app.alerts.delivery import deliver_due, http_client
from app.alerts.manage import define_rule, list_alerts
from app.alerts.records import AlertRecord
from app.audit import TrailFilter, trail
from app.ingestion.batch import load_directory
from app.metrics.events import interaction_row, record_interaction
from app.metrics.storage import Stored
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from tests.alerts.receiver import receiver


@pytest.fixture
def resolved(store: GraphStore, tmp_path: Path) -> tuple[Settings, MatchModel]:
    out = tmp_path / "synth"
    generate(SynthConfig(people=60, seed=3), out, "csv")
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, out, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings, truth_file=out / "truth_records.csv", pairs=100).model
    flows.resolve_all(store, settings, model)
    return settings, model


RECORD = {
    "sourceKey": "F-1",
    "firstName": "Ottoline",
    "lastName": "Brackenbury",
    "dateOfBirth": "1922-02-22",
    "email": "ob@example.org",
}


def test_a_real_time_upsert_waits_while_another_process_resolves(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """The resolution lock is the store's, not the process's: while a batch run (here a
    thread holding the lock as one would) places profiles, an upsert waits, then runs."""
    settings, model = resolved
    held, released = threading.Event(), threading.Event()

    def batch_run() -> None:
        with store.lock(flows.RESOLUTION_LOCK, ttl_s=30):
            held.set()
            time.sleep(1.5)
            released.set()

    thread = threading.Thread(target=batch_run)
    thread.start()
    held.wait(10)
    done = flows.upsert(store, settings, model, "crm", RECORD, "tester")
    assert released.is_set()  # it could not place the record before the batch run ended
    thread.join()
    assert done.result.action == "founded"


def test_the_change_feed_tells_a_subscribed_webhook_what_happened_to_profiles(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    with receiver() as crm:
        subscribed = settings.model_copy(
            update={"webhooks": {"crm": crm.url}, "change_webhooks": ["crm"]}
        )
        founded = flows.upsert(store, subscribed, model, "crm", RECORD, "tester").result
        joined = flows.upsert(
            store,
            subscribed,
            model,
            "webshop",
            {"sourceKey": "F-2", "fullName": "Ottoline Brackenbury", "email": "ob@example.org"},
            "tester",
        ).result
        assert joined.profile_id == founded.profile_id
        other = flows.upsert(
            store,
            subscribed,
            model,
            "crm",
            {
                "sourceKey": "F-3",
                "firstName": "Peregrine",
                "lastName": "Fairweather",
                "dateOfBirth": "1933-03-03",
                "email": "pf@example.org",
            },
            "tester",
        ).result
        flows.merge(store, subscribed, [founded.profile_id, other.profile_id], "ann", "same")
        with http_client(subscribed) as client:
            while deliver_due(store, subscribed, client).claimed:
                pass
        events = [b for b in crm.bodies() if b["type"] == "change"]
    kinds = [(e["kind"], e["entityId"]) for e in events if e["kind"].startswith("profile.")]
    assert kinds == [
        ("profile.created", founded.profile_id),
        ("profile.updated", founded.profile_id),
        ("profile.created", other.profile_id),
        ("profile.merged", founded.profile_id),
    ]
    updated = next(e for e in events if e["kind"] == "profile.updated")
    assert updated["detail"]["members"] == ["crm:F-1", "webshop:F-2"]
    merged = next(e for e in events if e["kind"] == "profile.merged")
    assert merged["detail"]["absorbed"] == [other.profile_id]
    assert all(e["deliveryId"] and e["at"] for e in events)
    # Nobody subscribed: nothing is recorded.
    flows.upsert(store, settings, model, "crm", {**RECORD, "sourceKey": "F-4"}, "tester")
    rows, _ = store.run_text("MATCH (e:ChangeEvent) RETURN count(e) AS n", write=False)
    assert rows[0]["n"] == len(events)


def test_a_split_is_a_correction_not_a_change_of_behaviour(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """Two records of one profile, each with purchases; a steward splits one out and the
    profile's 90-day spend falls by three quarters. The starter rule "spend-drop" (down 50%)
    does not fire: records changed, not behaviour. A rule that asks for identity changes
    does, and its alert says so."""
    settings, model = resolved
    first = flows.upsert(store, settings, model, "crm", RECORD, "tester").result
    second = flows.upsert(
        store,
        settings,
        model,
        "webshop",
        {"sourceKey": "F-2", "fullName": "Ottoline Brackenbury", "email": "ob@example.org"},
        "tester",
    ).result
    assert second.profile_id == first.profile_id
    today = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    for source, key, amount in (("crm", "F-1", 50.0), ("webshop", "F-2", 150.0)):
        row = interaction_row(source, key, "purchase", today, "web", amount, f"P-{key}")
        record_interaction(store, settings, row)
    spend = "dna_spend90d"
    profile = first.profile_id
    define_rule(
        store,
        settings,
        {
            "name": "identity-drop",
            "metric": "spend90d",
            "condition": "change_pct",
            "direction": "down",
            "threshold": 50,
            "identityChanges": True,
        },
        "ann",
    )
    before = _alerts(store, profile)
    done = flows.split(store, settings, ["webshop:F-2"], "ann", "another Ottoline")
    assert done.details["previous"] == profile
    rows, _ = store.run_text(
        f"MATCH (p:Profile {{profileId: $p}}) RETURN p.{spend} AS spend",
        {"p": profile},
        write=False,
    )
    assert rows[0]["spend"] == 50.0  # was 200
    fired = [a for a in _alerts(store, profile) if a not in before]
    assert [(a.rule, a.cause, a.previous, a.value) for a in fired] == [
        ("identity-drop", "identity", 200.0, 50.0)
    ]
    # The metric's history says why: the split (its audit event), after the purchases.
    (split,) = trail(store, TrailFilter(actions=("splitCustomer",))).events
    rows, _ = store.run_text(
        "MATCH (p:Profile {profileId: $p}) RETURN properties(p) AS props",
        {"p": profile},
        write=False,
    )
    history = Stored.of("spend90d", rows[0]["props"])
    assert list(zip(history.values, history.point_causes(), strict=True))[-2:] == [
        (200.0, "data"),
        (50.0, f"identity:{split.audit_id}"),
    ]


def _alerts(store: GraphStore, entity: str) -> list[AlertRecord]:
    return list_alerts(store, entity_id=entity, first=100).items
