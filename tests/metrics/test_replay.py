"""Replaying a known sequence of interactions, one at a time as the API would: after each
event every metric's value, history and trend is what the definitions say."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from app.metrics.events import interaction_row, record_interaction
from app.metrics.storage import Stored, prop
from app.settings import Settings
from app.store import GraphStore
from tests.metrics.conftest import People, at, use_definitions

DEFINITIONS = """
metrics:
  - {name: spend7d, kind: aggregate, agg: sum, where: {types: [purchase]}, window: 7d}
  - {name: spendAll, kind: aggregate, agg: sum, where: {types: [purchase]}}
  - {name: purchases7d, kind: aggregate, agg: count, where: {types: [purchase]}, window: 7d}
  - {name: avgBasket, kind: aggregate, agg: avg, where: {types: [purchase]}}
  - {name: smallest, kind: aggregate, agg: min, where: {types: [purchase]}}
  - {name: biggest, kind: aggregate, agg: max, where: {types: [purchase]}}
  - {name: channels, kind: aggregate, agg: distinct, of: channel}
  - {name: email, kind: factual, field: email, rule: latest}
  - {name: city, kind: factual, field: city, rule: source_priority, sources: [crm]}
  - {name: share7d, kind: formula, expression: spend7d / spendAll}
  - name: prefChannel
    kind: preference
    over: channel
    responses: [purchase, email_click]
    half_life: 1d
"""

T0 = at("2026-03-01T10:00:00")


def _props(store: GraphStore, pid: str) -> dict:
    row = store.read_one("metrics_profile_props", ids=[pid])
    assert row is not None
    return dict(row["props"])


@pytest.fixture
def replay(store: GraphStore, people: People, msettings: Settings, tmp_path: Path):
    settings = use_definitions(msettings, tmp_path, DEFINITIONS)
    pid = people.profile(
        "PR-replay",
        [
            {
                "customerId": "crm:C1",
                "city": "Leeds",
                "email": "a@example.com",
                "updatedAt": "2026-01-01T00:00:00",
            },
            {
                "customerId": "webshop:W1",
                "city": "York",
                "email": "b@example.com",
                "updatedAt": "2026-02-01T00:00:00",
            },
        ],
    )

    def event(n: int, when, kind: str, channel: str, value: float | None = None):
        row = interaction_row(
            "webshop", "W1", kind, when.strftime("%Y-%m-%dT%H:%M:%S"), channel, value, f"E{n}"
        )
        return record_interaction(store, settings, row, now=when)

    return pid, event


def test_each_event_updates_value_history_and_trend(store: GraphStore, replay) -> None:
    pid, event = replay

    first = event(1, T0, "purchase", "web", 10)
    assert first.profile_id == pid
    p = _props(store, pid)
    assert p[prop("spend7d")] == 10 and p[prop("spendAll")] == 10
    assert p[prop("purchases7d")] == 1 and p[prop("avgBasket")] == 10
    assert p[prop("smallest")] == 10 and p[prop("biggest")] == 10
    assert p[prop("channels")] == 1
    assert p[prop("email")] == "b@example.com"  # the latest record's
    assert p[prop("city")] == "Leeds"  # crm first, though the web shop's record is newer
    assert p[prop("share7d")] == 1.0
    assert p[prop("prefChannel")] == "web"
    # A first value is the value and its time; the history's lists come with a second.
    assert p[prop("spend7d", "at")] == "2026-03-01T10:00:00Z"
    assert prop("spend7d", "ht") not in p and prop("spend7d", "hv") not in p
    one = Stored.of("spend7d", p)
    assert (one.times, one.values) == (["2026-03-01T10:00:00Z"], [10.0])
    assert p.get(prop("spend7d", "slope")) is None  # one point: no trend yet
    # every metric changed from nothing, and each change says so
    assert {c.metric for c in first.changes} == {
        "spend7d",
        "spendAll",
        "purchases7d",
        "avgBasket",
        "smallest",
        "biggest",
        "channels",
        "email",
        "city",
        "share7d",
        "prefChannel",
    }
    assert all(c.previous is None for c in first.changes)

    second = event(2, T0 + timedelta(days=1), "purchase", "app", 30)
    p = _props(store, pid)
    assert p[prop("spend7d")] == 40 and p[prop("purchases7d")] == 2
    assert p[prop("avgBasket")] == 20 and p[prop("smallest")] == 10 and p[prop("biggest")] == 30
    assert p[prop("channels")] == 2
    assert p[prop("prefChannel")] == "app"  # the newer response weighs twice the older
    assert p[prop("spend7d", "hv")] == [10.0, 40.0]
    assert p[prop("spend7d", "ht")] == ["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"]
    assert p[prop("spend7d", "at")] == "2026-03-02T10:00:00Z"
    assert p[prop("spend7d", "slope")] == pytest.approx(30.0)  # per day
    assert p[prop("spend7d", "pct")] == pytest.approx(300.0)
    changed = {c.metric: c for c in second.changes}
    assert set(changed) == {
        "spend7d",
        "spendAll",
        "purchases7d",
        "avgBasket",
        "biggest",
        "channels",
        "prefChannel",
    }  # share7d stays 1.0, smallest 10, the facts as they were
    assert changed["spend7d"].previous == 10 and changed["spend7d"].value == 40
    assert changed["spend7d"].history == (10.0, 40.0)

    # ten days on: both purchases have left the 7-day window
    third = event(3, T0 + timedelta(days=10), "email_click", "email")
    p = _props(store, pid)
    assert p[prop("spend7d")] == 0 and p[prop("purchases7d")] == 0
    assert p[prop("spendAll")] == 40 and p[prop("share7d")] == 0
    assert p[prop("channels")] == 3
    assert p[prop("prefChannel")] == "email"
    times = p[prop("spend7d", "ht")]
    assert times == ["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", "2026-03-11T10:00:00Z"]
    assert p[prop("spend7d", "hv")] == [10.0, 40.0, 0.0]
    slope = np.polyfit([0.0, 1.0, 10.0], [10.0, 40.0, 0.0], 1)[0]
    assert p[prop("spend7d", "slope")] == pytest.approx(slope, abs=1e-4)
    assert p[prop("spend7d", "pct")] == pytest.approx(-100.0)
    assert p[prop("spendAll", "hv")] == [10.0, 40.0]  # unchanged values add no point
    assert {c.metric: c.value for c in third.changes}["spend7d"] == 0

    # recomputing with nothing new changes nothing
    again = event(3, T0 + timedelta(days=10), "email_click", "email")
    assert again.changes == []
    assert _props(store, pid)[prop("spend7d", "hv")] == [10.0, 40.0, 0.0]


def test_history_is_bounded(
    store: GraphStore, people: People, msettings: Settings, tmp_path: Path
) -> None:
    settings = use_definitions(
        msettings.model_copy(update={"metrics_history": 3}),
        tmp_path,
        "metrics:\n  - {name: n, kind: aggregate, agg: count}\n",
    )
    pid = people.profile("PR-bounded", [{"customerId": "crm:B1"}])
    for k in range(5):
        when = T0 + timedelta(hours=k)
        row = interaction_row("crm", "B1", "call", when.isoformat(), "phone", None, f"B{k}")
        record_interaction(store, settings, row, now=when)
    p = _props(store, pid)
    assert p[prop("n")] == 5
    assert p[prop("n", "hv")] == [3.0, 4.0, 5.0]
    assert p[prop("n", "ht")][-1] == "2026-03-01T14:00:00Z"


def test_an_interaction_of_a_record_without_profile_is_stored_and_computes_nothing(
    store: GraphStore, msettings: Settings
) -> None:
    row = interaction_row("crm", "NOBODY", "call", "2026-03-01T10:00:00", "phone", None, "X1")
    result = record_interaction(store, msettings, row, now=T0)
    assert result.profile_id is None and result.changes == []
    stored = store.read(
        "api_customer_interactions", ids=["crm:NOBODY"], afterTs=None, afterId=None, limit=5
    )
    assert stored, "the interaction is kept for when the record is resolved"
