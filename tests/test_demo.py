"""The demo data set `idgraph serve` loads into an empty store: its year of interactions ends
today, so the metrics computed at load and an event recorded now share one clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.demo import demo_start, ensure_demo_data
from app.metrics.events import interaction_row, record_interaction
from app.metrics.storage import Stored
from app.settings import Settings
from app.store import open_store


def _spends(store, profile_ids: list[str]) -> dict[str, float | None]:
    rows = store.read("metrics_profile_props", ids=profile_ids)
    return {r["profileId"]: Stored.of("spend90d", r["props"]).value for r in rows}


def test_the_demo_ends_today_and_an_event_now_adds_to_its_windows(tmp_path: Path) -> None:
    settings = Settings(
        store="falkordb",
        data_dir=tmp_path / "data",
        graph_name="demo",
        demo_people=120,
        resolve_workers=1,
    )
    assert ensure_demo_data(settings) is True
    assert ensure_demo_data(settings) is False  # a store with customers is left alone

    with open_store(settings) as store:
        newest = datetime.fromtimestamp(store.read_one("metrics_latest_event")["ts"] / 1000, UTC)
        today = datetime.now(UTC).date()
        assert today - timedelta(days=2) <= newest.date() <= today

        # the webshop customer whose profile bought most in the demo's last 90 days
        rows, _ = store.run_text(
            "MATCH (c:Customer {source: 'webshop'})-[:RESOLVES_TO]->(p:Profile) "
            "WHERE p.status = 'active' "
            "RETURN c.sourceKey AS key, p.profileId AS p ORDER BY p.profileId",
            {},
            write=False,
        )
        by_profile = _spends(store, [r["p"] for r in rows])
        spends = {(r["key"], r["p"]): by_profile[r["p"]] for r in rows}
        (key, pid), before = max(spends.items(), key=lambda kv: kv[1] or 0.0)
        assert before and before > 0

        # a purchase recorded now, on the wall clock: the demo's purchases still count
        at = datetime.now(UTC).replace(microsecond=0)
        row = interaction_row(
            "webshop", key, "purchase", at.strftime("%Y-%m-%dT%H:%M:%S"), "web", 10.0, "NOW-1"
        )
        result = record_interaction(store, settings, row)
        assert result.profile_id == pid
        after = _spends(store, [pid])[pid]
        assert after is not None and after > 10.0
        assert after <= before + 10.0 + 1e-6  # a purchase may have left the window since


def test_a_fixed_demo_start_is_kept() -> None:
    assert demo_start(Settings(demo_start=date(2025, 1, 1))) == date(2025, 1, 1)
    assert demo_start(Settings()) == datetime.now(UTC).date() - timedelta(days=365)
