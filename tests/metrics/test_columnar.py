"""Aggregates and preferences from one read of the interactions: a batch (interactions packed
as numbers) and an event's recompute (plain rows) give the values worked out by hand, for
filters by value, distinct counts, missing channels and values, exposures and hours."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.metrics import registry
from app.metrics.compute import evaluate
from app.metrics.events import interaction_row
from app.settings import Settings
from app.store import GraphStore
from tests.metrics.conftest import People, at, use_definitions

DEFINITIONS = """
metrics:
  - {name: bigBuys, kind: aggregate, agg: count, where: {types: [purchase], min_value: 50}}
  - {name: midSpend, kind: aggregate, agg: sum, where: {min_value: 10, max_value: 100}}
  - {name: cheapest30d, kind: aggregate, agg: min, where: {types: [purchase]}, window: 30d}
  - {name: avgAll, kind: aggregate, agg: avg}
  - {name: sources, kind: aggregate, agg: distinct, of: source}
  - {name: amounts, kind: aggregate, agg: distinct, of: value}
  - {name: channels, kind: aggregate, agg: distinct, of: channel}
  - {name: webOrApp, kind: aggregate, agg: count, where: {channels: [web, app]}}
  - name: rateChannel
    kind: preference
    over: channel
    responses: [email_click]
    exposures: [email_open]
    half_life: 7d
  - name: eveningType
    kind: preference
    over: type
    responses: [purchase, email_click, call]
    half_life: 30d
    hours: [17, 23]
"""

NOW = at("2026-04-01T12:00:00")
# (source, key, type, days before NOW, hour of day, channel, value)
EVENTS = [
    ("webshop", "W1", "purchase", 1, 18, "web", 120.0),
    ("webshop", "W1", "purchase", 3, 9, "app", 45.5),
    ("webshop", "W1", "purchase", 40, 19, "web", 12.123456789),
    ("webshop", "W1", "email_open", 2, 8, "email", None),
    ("webshop", "W1", "email_open", 5, 8, "email", None),
    ("crm", "C1", "email_open", 4, 8, "mobile", None),
    ("crm", "C1", "email_click", 4, 20, "mobile", None),
    ("crm", "C1", "call", 6, 21, None, 30.0),
    ("crm", "C1", "purchase", 200, 18, "web", 45.5),
]


@pytest.fixture
def settings(store: GraphStore, people: People, msettings: Settings, tmp_path: Path) -> Settings:
    people.profile(
        "PR-cols",
        [
            {"customerId": "webshop:W1", "updatedAt": "2026-01-01T00:00:00"},
            {"customerId": "crm:C1", "updatedAt": "2026-01-01T00:00:00"},
        ],
    )
    people.profile("PR-quiet", [{"customerId": "crm:C9", "updatedAt": "2026-01-01T00:00:00"}])
    rows = []
    for n, (source, key, kind, days, hour, channel, value) in enumerate(EVENTS):
        when = (NOW - timedelta(days=days)).replace(hour=hour, minute=0)
        rows.append(
            interaction_row(source, key, kind, when.isoformat()[:19], channel, value, f"X{n}")
        )
    store.write("upsert_interactions", rows=rows)
    # an interaction after "now" counts for nothing yet
    later = interaction_row("webshop", "W1", "purchase", "2026-04-02T12:00:00", "web", 999.0)
    store.write("upsert_interactions", rows=[later])
    return use_definitions(msettings, tmp_path, DEFINITIONS)


EXPECTED = {
    "bigBuys": 1,  # 120 (999 is after now)
    "midSpend": pytest.approx(45.5 + 12.123457 + 30.0 + 45.5),  # 6 decimals kept
    "cheapest30d": 45.5,
    "avgAll": pytest.approx((120 + 45.5 + 12.123457 + 30 + 45.5) / 5),
    "sources": 2,
    "amounts": 4,  # 120, 45.5 (twice), 12.12..., 30
    "channels": 4,  # web, app, email, mobile; the call has none
    "webOrApp": 4,
    # email: 0 clicks / 2 opens -> not a response; mobile: 1 click, 1 open -> (1+1)/(1+2)
    "rateChannel": "mobile",
    # evenings: purchases 1 and 40 days ago (18h, 19h), the click 4 days ago (20h), the call
    # 6 days ago (21h), a purchase 200 days ago (18h). Purchases: 0.983 + 0.400 + 0.010;
    # the click 0.919, the call 0.878.
    "eveningType": "purchase",
}


def test_batch_and_event_reads_give_the_values_worked_out_by_hand(
    store: GraphStore, settings: Settings
) -> None:
    defs = registry.running(settings)
    mdir = registry.model_dir(settings)
    batch = evaluate(store, defs, NOW, mdir, page=settings.read_page)  # packed numbers
    one = evaluate(store, defs, NOW, mdir, ids=["PR-cols"], page=1)  # one profile: plain rows
    for name, want in EXPECTED.items():
        assert batch.value("PR-cols", name) == want, name
        assert one.value("PR-cols", name) == batch.value("PR-cols", name), name
    quiet = {name: batch.value("PR-quiet", name) for name in EXPECTED}
    assert quiet == {
        "bigBuys": 0,
        "midSpend": 0.0,
        "cheapest30d": None,
        "avgAll": None,
        "sources": 0,
        "amounts": 0,
        "channels": 0,
        "webOrApp": 0,
        "rateChannel": None,
        "eveningType": None,
    }


def test_a_batch_read_a_profile_at_a_time_gives_what_one_read_gives(
    store: GraphStore, settings: Settings
) -> None:
    """A batch reads the profiles in pages (IDGRAPH_READ_PAGE); the values are the same
    whatever the page, here one profile a page against every profile in one."""
    defs = registry.running(settings)
    mdir = registry.model_dir(settings)
    whole = evaluate(store, defs, NOW, mdir, page=1000)
    paged = evaluate(store, defs, NOW, mdir, page=1)
    assert sorted(whole.ids) == sorted(paged.ids) == ["PR-cols", "PR-quiet"]
    for name in EXPECTED:
        assert [paged.value(p, name) for p in whole.ids] == whole.columns[name], name
