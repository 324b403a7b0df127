"""docs/stewards.md's GraphQL calls, run as written and in the page's order by a steward on
the resolved demo population: each answers without errors and does what the page says."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.api.test_stewards import profiles_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "stewards.md"
BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.S)


def documented_calls() -> list[tuple[str, str, dict | None]]:
    """(operation name, document, example variables) for each ```graphql block; the ```json
    block right after one holds its variables."""
    calls: list[tuple[str, str, dict | None]] = []
    for kind, text in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if kind == "graphql":
            name = re.match(r"(?:query|mutation) (\w+)", text)
            assert name, f"an operation in docs/stewards.md has no name: {text[:60]!r}"
            calls.append((name.group(1), text, None))
        else:
            op, text_, _ = calls[-1]
            calls[-1] = (op, text_, json.loads(text))
    return calls


def _band(resolved) -> list[tuple[str, str]]:
    """The pairs the review queue holds."""
    rows = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) WHERE m.status = 'auto' "
        "AND m.probability >= 0.2 AND m.probability <= 0.8 "
        "RETURN a.customerId AS a, b.customerId AS b ORDER BY a, b"
    )
    return [(r["a"], r["b"]) for r in rows]


def _pairs(band: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for a, b in band:  # pairs without a record in common
        if not {a, b} & {x for p in out for x in p}:
            out.append((a, b))
    return out


async def test_the_documented_workflow_runs_as_written(fresh_resolved, resolved_gql) -> None:
    steward = resolved_gql.as_actor("zoe", roles=["steward"])
    held = _band(fresh_resolved)
    (a, b), (c, d) = _pairs(held)[:2]
    undecided = fresh_resolved.rows(
        "MATCH (:Customer)-[m:MATCHES]->(:Customer) WHERE m.status = 'auto' "
        "AND m.probability >= 0.2 AND m.probability <= 0.8 RETURN count(m) AS n"
    )[0]["n"]
    profiles = profiles_of(fresh_resolved)
    # Profiles none of the queue's records is in: reading the queue's names is audited on
    # the profiles of the records it shows, and the trail below is the merged profile's.
    queued = {x for pair in held for x in pair}
    free = {p: m for p, m in profiles.items() if not queued & set(m)}
    big = min(p for p, m in free.items() if len(m) == 3)
    small = min(p for p, m in free.items() if len(m) == 2)
    son = profiles[small][0]
    # The values the page's examples stand for, by operation.
    values = {
        "Queue": {"first": 5},
        "Cluster": {"id": big},
        "Confirm": {"a": a, "b": b, "reason": "same passport number on both"},
        "Reject": {"a": c, "b": d, "reason": "twins: different first names"},
        "Merge": {"ids": [big, small], "reason": "moved house; same person"},
        "Split": {"customerId": son, "reason": "the son, born 2020, not the father"},
        "Trail": {"entityId": big, "first": 20},
        "Decided": None,
    }
    calls = documented_calls()
    assert [op for op, _, _ in calls] == list(values)
    out = {}
    for op, document, example in calls:
        given = values[op]
        assert (example or {}).keys() == (given or {}).keys(), op  # the page names them all
        out[op] = await steward.data(document, **(given or {}))

    queue = out["Queue"]["reviewQueue"]
    assert queue["totalCount"] == undecided and len(queue["edges"]) == min(5, undecided)
    assert all(e["node"]["explanation"] for e in queue["edges"])
    cluster = out["Cluster"]["profile"]
    assert cluster["size"] == 3 and sum(e["inside"] for e in cluster["edges"]) >= 2
    assert out["Confirm"]["confirmMatch"]["match"]["status"] == "confirmed"
    assert out["Confirm"]["confirmMatch"]["match"]["decidedBy"] == "key:zoe"
    assert out["Reject"]["rejectMatch"]["match"]["status"] == "rejected"
    merged = out["Merge"]["mergeProfiles"]
    assert (merged["profile"]["id"], merged["retiredIds"]) == (big, [small])
    assert merged["profile"]["size"] == 5 and merged["profile"]["absorbed"] == [small]
    split = out["Split"]["splitCustomer"]
    assert split["customer"]["id"] == son and split["profile"]["splitFrom"] == [big]
    assert split["previousProfile"] == {"id": big, "size": 4}
    trail = out["Trail"]["auditTrail"]
    # The steward's changes, and (oldest) the unmasked read of the cluster's names.
    assert trail["totalCount"] == 3
    assert [(e["node"]["action"], e["node"]["actor"]) for e in trail["edges"]] == [
        ("splitCustomer", "key:zoe"),
        ("mergeProfiles", "key:zoe"),
        ("readPII", "key:zoe"),
    ]
    decided = out["Decided"]["reviewQueue"]
    pairs = {(e["node"]["a"]["id"], e["node"]["b"]["id"]) for e in decided["edges"]}
    assert {(a, b), (c, d)} <= pairs
