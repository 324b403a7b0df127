"""The Neo4j Browser kit's curated queries and `idgraph cypher`, on every backend: each
curated query answers its question on a small graph built here, and the prompt only reads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from app.explore import ReadOnlyError, Session, curated, prompt, run_read_only
from app.settings import Settings
from app.store import GraphStore
from app.store.base import CYPHER_DIR, UNIQUE_KEYS

ROOT = Path(__file__).resolve().parents[1]
GRASS = ROOT / "docs" / "neo4j-browser" / "identity-graph.grass"

GRAPH = """
CREATE (a:Profile {profileId: 'PR-A', status: 'active', size: 3}),
       (b:Profile {profileId: 'PR-B', status: 'active', size: 1}),
       (c:Profile {profileId: 'PR-C', status: 'active', size: 1}),
       (d:Profile {profileId: 'PR-D', status: 'active', size: 1}),
       (crm1:Customer {customerId: 'crm:1', source: 'crm', firstName: 'Ann'}),
       (web1:Customer {customerId: 'web:1', source: 'web', firstName: 'Ann'}),
       (pos1:Customer {customerId: 'pos:1', source: 'pos', firstName: 'A.'}),
       (crm2:Customer {customerId: 'crm:2', source: 'crm', firstName: 'Bob'}),
       (web3:Customer {customerId: 'web:3', source: 'web', firstName: 'Cy'}),
       (crm4:Customer {customerId: 'crm:4', source: 'crm', firstName: 'Di'}),
       (crm1)-[:RESOLVES_TO {confidence: 0.97}]->(a),
       (web1)-[:RESOLVES_TO {confidence: 0.95}]->(a),
       (pos1)-[:RESOLVES_TO {confidence: 0.6}]->(a),
       (crm2)-[:RESOLVES_TO {confidence: 1.0}]->(b),
       (web3)-[:RESOLVES_TO {confidence: 1.0}]->(c),
       (crm4)-[:RESOLVES_TO {confidence: 1.0}]->(d),
       (crm1)-[:MATCHES {probability: 0.97, status: 'auto', explanation: '{"email": 1}'}]->(web1),
       (crm1)-[:MATCHES {probability: 0.31, status: 'confirmed', explanation: '{}'}]->(pos1),
       (crm2)-[:MATCHES {probability: 0.22, status: 'auto', explanation: '{"phone": 0.3}'}]->(web1),
       (crm2)-[:MATCHES {probability: 0.6, status: 'rejected', explanation: '{}'}]->(web3),
       (crm1)-[:HAS_EMAIL]->(e:Email {email: 'ann@example.com'})<-[:HAS_EMAIL]-(crm2),
       (web1)-[:USES_DEVICE {lastSeen: '2026-11-02'}]->(dev:Device {deviceId: 'D-1'}),
       (web3)-[:USES_DEVICE {lastSeen: '2026-11-20'}]->(dev),
       (h1:Household {householdId: 'HH-1', status: 'active', size: 3}),
       (h2:Household {householdId: 'HH-2', status: 'active', size: 1}),
       (a)-[:MEMBER_OF {status: 'current', role: 'decision_maker'}]->(h1),
       (b)-[:MEMBER_OF {status: 'current', role: 'member'}]->(h1),
       (c)-[:MEMBER_OF {status: 'current', role: 'member'}]->(h1),
       (d)-[:MEMBER_OF {status: 'ended', role: 'member'}]->(h1),
       (d)-[:MEMBER_OF {status: 'current', role: 'decision_maker'}]->(h2),
       (crm1)-[:PERFORMED]->(:Interaction {interactionId: 'crm:i1', ts: 1000, occurredAt: 't1',
                                           channel: 'web', type: 'purchase', value: 10.0}),
       (pos1)-[:PERFORMED]->(:Interaction {interactionId: 'pos:i2', ts: 2000, occurredAt: 't2',
                                           channel: 'store', type: 'pos', value: 5.5}),
       (web1)-[:PERFORMED]->(:Interaction {interactionId: 'web:i3', ts: 3000, occurredAt: 't3',
                                           channel: 'web', type: 'click'})
"""


def _run(store: GraphStore, name: str, **params: object) -> list[dict]:
    [query] = [q for q in curated() if q.name == name]
    assert set(query.params) == set(params)
    return run_read_only(store, query.text, params)


def _cols(rows: list[dict], *names: str) -> list[tuple]:
    return [tuple(r[n] for n in names) for r in rows]


@pytest.fixture
def graph(store: GraphStore) -> GraphStore:
    store.run_text(GRAPH, write=True)
    return store


def test_every_curated_query_is_tested_here() -> None:
    names = {q.name for q in curated()}
    tested = set(re.findall(r'_run\(graph, "(\w+)"', Path(__file__).read_text()))
    assert names == tested and len(names) == 6


def test_a_profiles_identity_cluster(graph: GraphStore) -> None:
    rows = _run(graph, "profile_cluster", profileId="PR-A")
    assert _cols(rows, "record", "confidence", "matchedTo", "probability", "status") == [
        ("crm:1", 0.97, "pos:1", 0.31, "confirmed"),
        ("crm:1", 0.97, "web:1", 0.97, "auto"),
        ("pos:1", 0.6, None, None, None),
        ("web:1", 0.95, None, None, None),
    ]
    assert json.loads(rows[1]["explanation"]) == {"email": 1}


def test_the_records_that_bridge_two_profiles(graph: GraphStore) -> None:
    rows = _run(graph, "bridging_records", profileId="PR-A", otherProfileId="PR-B")
    assert _cols(rows, "record", "otherRecord", "probability", "sharedBy", "sharedKind") == [
        ("crm:1", "crm:2", None, "HAS_EMAIL", "Email"),
        ("web:1", "crm:2", 0.22, None, None),
    ]


def test_uncertain_pairs_near_the_threshold(graph: GraphStore) -> None:
    rows = _run(graph, "uncertain_pairs", threshold=0.25, margin=0.1)
    # decided pairs (confirmed, rejected) are not uncertain; 0.97 is far from the threshold
    assert _cols(rows, "record", "otherRecord", "probability") == [("crm:2", "web:1", 0.22)]


def test_households_with_enough_members_and_their_roles(graph: GraphStore) -> None:
    rows = _run(graph, "large_households", minMembers=3)
    assert _cols(rows, "household", "size", "profile", "role") == [
        ("HH-1", 3, "PR-A", "decision_maker"),
        ("HH-1", 3, "PR-B", "member"),
        ("HH-1", 3, "PR-C", "member"),
    ]
    assert _run(graph, "large_households", minMembers=4) == []


def test_a_persons_journey_across_sources_and_channels(graph: GraphStore) -> None:
    rows = _run(graph, "person_journey", profileId="PR-A")
    assert _cols(rows, "at", "source", "channel", "type", "value") == [
        ("t1", "crm", "web", "purchase", 10.0),
        ("t2", "pos", "store", "pos", 5.5),
        ("t3", "web", "web", "click", None),
    ]


def test_who_shares_a_device(graph: GraphStore) -> None:
    rows = _run(graph, "device_sharers", deviceId="D-1")
    assert _cols(rows, "record", "lastSeen", "profile", "household") == [
        ("web:1", "2026-11-02", "PR-A", "HH-1"),
        ("web:3", "2026-11-20", "PR-C", "HH-1"),
    ]


def test_the_prompt_reads_sets_parameters_and_refuses_writes(graph: GraphStore) -> None:
    console = Console(record=True, width=200)
    session = Session(graph, console)
    prompt(
        session,
        [
            ":param profileId => 'PR-' + 'B'",
            "MATCH (p:Profile {profileId: $profileId})",
            "RETURN p.profileId AS id, p.size AS size;",
            "MATCH (n:Profile) SET n.hacked = true RETURN n;",
            ":run person_journey",
            ":queries",
            ":exit",
            "MATCH (n) RETURN n;",  # never read: the prompt was left
        ],
    )
    out = console.export_text()
    assert session.params == {"profileId": "PR-B"}
    assert re.search(r"│ PR-B\s*│ 1\s*│", out)
    assert "read-only: SET writes" in out
    assert "1 row" in out and "0 rows" in out  # PR-B has no interactions
    assert all(q.name in out for q in curated())
    rows, _ = graph.run_text("MATCH (n:Profile) WHERE n.hacked RETURN n", write=False)
    assert rows == []
    with pytest.raises(ReadOnlyError, match=r"set \$profileId first"):
        run_read_only(graph, "MATCH (p:Profile {profileId: $profileId}) RETURN p")


def test_idgraph_cypher_c_prints_a_table(graph: GraphStore, backend_settings: Settings) -> None:
    env = {**os.environ, "COLUMNS": "200", **_env(backend_settings)}
    cli = [sys.executable, "-c", "from app.cli import main; main()", "cypher"]
    query = "MATCH (p:Profile {profileId: $id}) RETURN p.size AS size"
    done = subprocess.run(
        [*cli, "-p", "id='PR-A'", "-c", query], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"┃\s*size\s*┃", done.stdout) and re.search(r"│\s*3\s*│", done.stdout)
    create = "CREATE (n:Profile {profileId: 'X'})"
    refused = subprocess.run([*cli, "-c", create], env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "read-only: CREATE writes" in refused.stderr


def _env(settings: Settings) -> dict[str, str]:
    dumped = settings.model_dump(mode="json")
    keys = ["store", "data_dir", "graph_name", "neo4j_uri", "neo4j_user", "neo4j_password"]
    keys.append("neo4j_database")
    return {f"IDGRAPH_{k.upper()}": str(dumped[k]) for k in keys}


def test_the_browser_style_sheet_gives_every_label_a_caption_and_a_colour() -> None:
    grass = GRASS.read_text(encoding="utf-8")
    styles = dict(re.findall(r"node\.(\w+)\s*\{(.*?)\n\}", grass, re.DOTALL))
    labels = {k.label for k in UNIQUE_KEYS} - {"Lock"}
    assert labels <= set(styles)
    for label in labels:
        assert re.search(r"\bcolor:\s*#[0-9A-Fa-f]{6};", styles[label]), label
        assert re.search(r"\bcaption:\s*'[^']+';", styles[label]), label
    assert (CYPHER_DIR / "browser").is_dir()
