"""A first resolve (no memberships, no match edges yet) on a store with a bulk path: its
profiles, memberships and match edges are all new, so they go to the store by its bulk
path (FalkorDB: GRAPH.BULK) instead of one MERGE per row: the match edges once scored, the
profiles and memberships once placed. The rows are the ones the
queries would take, and the graph the same as theirs (tests/resolution/test_firstrun.py
compares digests); a store that refuses falls back to those queries."""

from __future__ import annotations

from collections.abc import Mapping

from app.store.base import BulkEdges, BulkNodes, Row, key_of, set_on_new

# The queries whose rows a first resolve keeps for the bulk path.
HELD = ("upsert_matches", "upsert_profiles", "link_profiles")

CUSTOMER = key_of("Customer")
PROFILE = key_of("Profile")


def profile_node(row: Row) -> Row:
    """upsert_profiles (app/cypher/upsert_profiles.cypher) creating its profile."""
    node = set_on_new({"createdAt": row["at"], "splitFrom": row["splitFrom"]})
    node.update(set_on_new(row["props"]))
    node.update(profileId=row["profileId"], status="active", updatedAt=row["at"])
    if row["absorbed"]:
        node["absorbed"] = list(row["absorbed"])
    return node


def match_edge(row: Row) -> tuple[str, str, Row]:
    """upsert_matches creating its MATCHES edge."""
    props = set_on_new(row)  # one pass over the row; its ends are never null
    a, b = props.pop("a"), props.pop("b")
    return a, b, {"status": "auto", "method": "model", **props}


def bulk_tables(held: Mapping[str, list[Row]]) -> tuple[list[BulkNodes], list[BulkEdges]]:
    """The held rows as the nodes and relationships their queries would create."""
    profiles = [profile_node(r) for r in held.get("upsert_profiles", [])]
    links = [
        (r["customerId"], r["profileId"], set_on_new({"confidence": r["confidence"]}))
        for r in held.get("link_profiles", [])
    ]
    matches = [match_edge(r) for r in held.get("upsert_matches", [])]
    nodes = [BulkNodes(PROFILE.label, PROFILE.prop, profiles)] if profiles else []
    edges = [
        BulkEdges(kind, CUSTOMER, end, rows)
        for kind, end, rows in (("MATCHES", CUSTOMER, matches), ("RESOLVES_TO", PROFILE, links))
        if rows
    ]
    return nodes, edges
