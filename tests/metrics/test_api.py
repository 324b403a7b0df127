"""Customer DNA over GraphQL through the ASGI app: recordInteraction recomputes the touched
profile before answering, Profile.metrics shows values with history and trend, and
defineMetric refuses a bad definition with its reason, changing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.metrics import registry

RECORD = """
mutation($source: String!, $key: String!, $type: String!, $ts: String!, $value: Float,
         $channel: String, $eventId: String, $asOf: String) {
  recordInteraction(source: $source, customerKey: $key, type: $type, timestamp: $ts,
                    value: $value, channel: $channel, eventId: $eventId, asOf: $asOf) {
    interactionId customerId alertsRaised milliseconds
    profile { id }
    changes { metric previous value at history }
  }
}
"""

METRICS = """
query($id: ID!) {
  profile(id: $id) {
    id
    metrics { name kind value updatedAt history { at value } trendSlope trendPct }
  }
}
"""

DEFINE = """
mutation($d: GenericScalar!) {
  defineMetric(definition: $d) { name kind dependsOn definition }
}
"""

DEFINITIONS = "{ metricDefinitions { name kind dependsOn } }"


@pytest.fixture
def own_data(fresh_resolved, tmp_path: Path):
    """Defined metrics go to this test's folder, not the shared resolved graph's."""
    saved = fresh_resolved.settings.data_dir
    fresh_resolved.settings.data_dir = tmp_path / "data"
    yield fresh_resolved
    fresh_resolved.settings.data_dir = saved
    # the population's interactions lie in 2025; drop the ones these tests recorded
    fresh_resolved.store.inner.run_text(
        "MATCH (i:Interaction) WHERE i.occurredAt >= '2026' DETACH DELETE i", write=True
    )


def _member(resolved) -> tuple[str, str, str]:
    row = resolved.rows(
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile {status: 'active'}) "
        "WHERE c.source = 'webshop' RETURN c.sourceKey AS key, p.profileId AS p "
        "ORDER BY c.customerId LIMIT 1"
    )[0]
    return "webshop", row["key"], row["p"]


async def test_record_interaction_updates_the_profile_metrics_at_once(
    own_data, resolved_gql
) -> None:
    source, key, pid = _member(own_data)
    args = {
        "source": source,
        "key": key,
        "type": "purchase",
        "channel": "web",
        "asOf": "2026-09-01T00:00:00Z",
    }
    first = (
        await resolved_gql.data(RECORD, ts="2026-08-31T09:00:00", value=25.5, eventId="A1", **args)
    )["recordInteraction"]
    assert first["profile"]["id"] == pid and first["customerId"] == f"{source}:{key}"
    assert first["interactionId"] == f"{source}:A1"
    changed = {c["metric"]: c for c in first["changes"]}
    # the demo data lies in 2025: in the 90 days to September 2026 there is only this purchase
    assert changed["spend90d"]["value"] == 25.5 and changed["purchases90d"]["value"] == 1

    second = (
        await resolved_gql.data(RECORD, ts="2026-08-31T18:00:00", value=14.5, eventId="A2", **args)
    )["recordInteraction"]
    changed = {c["metric"]: c for c in second["changes"]}
    assert changed["spend90d"]["previous"] == 25.5 and changed["spend90d"]["value"] == 40
    assert changed["spend90d"]["history"][-2:] == [25.5, 40]

    profile = (await resolved_gql.data(METRICS, id=pid))["profile"]
    metrics = {m["name"]: m for m in profile["metrics"]}
    assert set(metrics) == {d.name for d in registry.running(own_data.settings)}
    spend = metrics["spend90d"]
    assert spend["value"] == 40 and spend["kind"] == "aggregate"
    assert [p["value"] for p in spend["history"]][-2:] == [25.5, 40]
    assert spend["updatedAt"] == "2026-09-01T00:00:00Z"
    assert spend["trendPct"] == pytest.approx((40 - 25.5) / 25.5 * 100, abs=1e-3)
    assert spend["trendSlope"] is None  # both points at the same moment: no slope


async def test_record_interaction_refuses_bad_input(own_data, resolved_gql) -> None:
    source, key, _ = _member(own_data)
    body = await resolved_gql(RECORD, source=source, key=key, type="purchase", ts="yesterday")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "timestamp" in body["errors"][0]["message"]


async def test_define_metric_then_it_is_listed_and_computed(own_data, resolved_gql) -> None:
    source, key, _ = _member(own_data)
    d = {"name": "bigSpender", "kind": "formula", "expression": "where(spend90d > 30, 1, 0)"}
    defined = (await resolved_gql.data(DEFINE, d=d))["defineMetric"]
    assert defined["dependsOn"] == ["spend90d"] and defined["definition"]["expression"]
    listed = (await resolved_gql.data(DEFINITIONS))["metricDefinitions"]
    names = [m["name"] for m in listed]
    assert names.index("bigSpender") > names.index("spend90d")

    record = (
        await resolved_gql.data(
            RECORD,
            source=source,
            key=key,
            type="purchase",
            ts="2026-08-31T09:00:00",
            value=50.0,
            asOf="2026-09-01T00:00:00Z",
        )
    )["recordInteraction"]
    assert {c["metric"]: c["value"] for c in record["changes"]}["bigSpender"] == 1


async def test_define_metric_refuses_with_the_reason_and_changes_nothing(
    own_data, resolved_gql
) -> None:
    before = (await resolved_gql.data(DEFINITIONS))["metricDefinitions"]
    bad = {"name": "ratio", "kind": "formula", "expression": "spend90d / nothing"}
    body = await resolved_gql(DEFINE, d=bad)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "'ratio'" in error["message"] and "nothing" in error["message"]
    body = await resolved_gql(
        DEFINE, d={"name": "w", "kind": "aggregate", "agg": "count", "window": "fortnight"}
    )
    assert "field window" in body["errors"][0]["message"]
    assert (await resolved_gql.data(DEFINITIONS))["metricDefinitions"] == before


async def test_metrics_of_many_profiles_come_in_one_store_read(own_data, resolved_gql) -> None:
    """A steward's review queue with both sides' profiles and their metrics: one read of
    metric properties for the whole page, and the values are each profile's own."""
    source, key, pid = _member(own_data)
    await resolved_gql.data(
        RECORD,
        source=source,
        key=key,
        type="purchase",
        channel="web",
        ts="2026-08-31T09:00:00",
        value=12.0,
        eventId="M1",
        asOf="2026-09-01T00:00:00Z",
    )
    own_data.store.reset_counts()
    query = """
    query($mine: ID!) {
      reviewQueue(minProbability: 0.01, maxProbability: 0.99, first: 50) {
        edges { node {
          a { profile { id metrics { name value } } }
          b { profile { id metrics { name value } } }
        } }
      }
      mine: profile(id: $mine) { id metrics { name value } }
    }
    """
    data = await resolved_gql.data(query, mine=pid)
    pairs = [e["node"] for e in data["reviewQueue"]["edges"]]
    profiles = {
        side["profile"]["id"]: side["profile"]["metrics"]
        for n in pairs
        for side in (n["a"], n["b"])
        if side["profile"]
    }
    assert len(profiles) >= 5
    # one read for every profile of the page, and their metrics come with it (the profile's
    # stored properties): no read of metric properties of its own
    assert own_data.store.queries.count("api_profiles") == 1
    assert own_data.store.queries.count("metrics_profile_props") == 0
    names = {d.name for d in registry.running(own_data.settings)}
    assert all({m["name"] for m in ms} == names for ms in profiles.values())
    mine = {m["name"]: m["value"] for m in data["mine"]["metrics"]}
    assert mine["spend90d"] == 12.0 and mine["purchases90d"] == 1
    # no batch has run on this graph: the other profiles have no values yet
    assert all(
        {m["name"]: m["value"] for m in ms}["spend90d"] is None
        for p, ms in profiles.items()
        if p != pid
    )
