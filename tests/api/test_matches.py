"""MATCHES edges over GraphQL on a resolved synthetic population: a customer's matches with
their explanations, and the stewards' review queue. These tests only read."""

from __future__ import annotations

import math

import pytest

MATCHES = """
query($id: ID!, $min: Float, $first: Int, $after: String) {
  customer(id: $id) {
    matches(minProbability: $min, first: $first, after: $after) {
      edges { cursor node {
        a { id } b { id } other { id }
        probability status method modelVersion explanation { field label level weight }
        intercept logit decidedBy decidedAt reason
      } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""

QUEUE = """
query($min: Float, $max: Float, $first: Int, $after: String) {
  reviewQueue(minProbability: $min, maxProbability: $max, first: $first, after: $after) {
    edges { cursor node {
      a { id } b { id } other { id } probability status method
      explanation { field weight } intercept
    } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


@pytest.fixture(autouse=True)
def _graph(resolved) -> None:
    """Every test here reads the module's resolved graph."""


async def _walk(gql, query: str, path: str, first: int, **variables) -> list[dict]:
    """Every node of a connection, page by page."""
    nodes, after, pages = [], None, 0
    while True:
        data = await gql.data(query, first=first, after=after, **variables)
        for key in path.split("."):
            data = data[key]
        nodes += [e["node"] for e in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not data["pageInfo"]["hasNextPage"]:
            return nodes
        after = data["pageInfo"]["endCursor"]
        assert pages < 200


def _edges_of(resolved, cid: str) -> list[dict]:
    return resolved.rows(
        "MATCH (:Customer {customerId: $id})-[m:MATCHES]-(o:Customer) "
        "RETURN o.customerId AS other, m.probability AS p",
        id=cid,
    )


async def test_customer_matches_are_ordered_explained_and_paged(resolved, resolved_gql) -> None:
    counts = resolved.rows(
        "MATCH (c:Customer)-[:MATCHES]-(:Customer) "
        "RETURN c.customerId AS id, count(*) AS n ORDER BY n DESC, id LIMIT 1"
    )
    cid = counts[0]["id"]
    stored = sorted(_edges_of(resolved, cid), key=lambda r: (-r["p"], r["other"]))
    assert len(stored) >= 3

    whole = (await resolved_gql.data(MATCHES, id=cid, first=100))["customer"]["matches"]
    nodes = [e["node"] for e in whole["edges"]]
    assert [(n["other"]["id"], n["probability"]) for n in nodes] == [
        (r["other"], r["p"]) for r in stored
    ]
    assert whole["pageInfo"]["hasNextPage"] is False
    for n in nodes:
        assert n["a"]["id"] < n["b"]["id"]
        assert {n["a"]["id"], n["b"]["id"]} == {cid, n["other"]["id"]}
        assert (n["status"], n["method"]) == ("auto", "model")
        assert n["modelVersion"] == resolved.model.version
        assert n["decidedBy"] is None and n["reason"] is None
        weights = [abs(w["weight"]) for w in n["explanation"]]
        assert weights == sorted(weights, reverse=True) and n["intercept"] is not None

    paged = await _walk(resolved_gql, MATCHES, "customer.matches", first=2, id=cid)
    assert paged == nodes  # no gaps, no duplicates

    strong = (await resolved_gql.data(MATCHES, id=cid, min=0.9, first=100))["customer"]
    assert [e["node"]["other"]["id"] for e in strong["matches"]["edges"]] == [
        r["other"] for r in stored if r["p"] >= 0.9
    ]


async def test_review_queue_is_most_uncertain_first_and_pages_without_gaps(
    resolved, resolved_gql
) -> None:
    # A band wider than the default review band (0.2-0.8), so that the small population
    # has pairs enough for several pages of 2 whatever the trained model's certainty.
    stored = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) "
        "WHERE m.status = 'auto' AND m.probability >= 0.05 AND m.probability <= 0.95 "
        "RETURN a.customerId AS a, b.customerId AS b, m.probability AS p"
    )
    expected = sorted(stored, key=lambda r: (abs(r["p"] - 0.5), r["a"], r["b"]))
    assert len(expected) >= 5

    nodes = await _walk(resolved_gql, QUEUE, "reviewQueue", first=2, min=0.05, max=0.95)
    assert [(n["a"]["id"], n["b"]["id"], n["probability"]) for n in nodes] == [
        (r["a"], r["b"], r["p"]) for r in expected
    ]
    closeness = [abs(n["probability"] - 0.5) for n in nodes]
    assert closeness == sorted(closeness)
    assert all(n["status"] == "auto" and n["other"] is None for n in nodes)

    narrow = (await resolved_gql.data(QUEUE, min=0.4, max=0.6, first=100))["reviewQueue"]
    assert [e["node"]["probability"] for e in narrow["edges"]] == [
        r["p"] for r in expected if 0.4 <= r["p"] <= 0.6
    ]


FILTERED = """
query($decided: Boolean, $sources: [String!], $minSize: Int, $maxSize: Int, $after: String) {
  reviewQueue(decided: $decided, sources: $sources, minClusterSize: $minSize,
              maxClusterSize: $maxSize, minProbability: 0, maxProbability: 1, first: 25,
              after: $after) {
    totalCount
    edges { cursor node { a { id } b { id } probability status } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_review_queue_filters_and_counts(resolved, resolved_gql) -> None:
    """Every filter against the graph read directly: the pairs, their order, the total (over
    the whole band 0-1, to have pairs of every kind)."""
    rows = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) "
        "OPTIONAL MATCH (a)-[:RESOLVES_TO]->(pa:Profile) "
        "OPTIONAL MATCH (b)-[:RESOLVES_TO]->(pb:Profile) "
        "RETURN a.customerId AS a, b.customerId AS b, a.source AS sa, b.source AS sb, "
        "m.probability AS p, m.status AS status, pa.size AS za, pb.size AS zb"
    )

    def expect(decided=False, sources=None, lo=None, hi=None):
        out = []
        for r in rows:
            p = r["p"] or 0.0
            size = max(r["za"] or 1, r["zb"] or 1)
            if decided is not None and (r["status"] != "auto") != decided:
                continue
            if sources is not None and r["sa"] not in sources and r["sb"] not in sources:
                continue
            if (lo is not None and size < lo) or (hi is not None and size > hi):
                continue
            out.append((abs(p - 0.5), r["a"], r["b"]))
        return [(a, b) for _, a, b in sorted(out)]

    async def walk(**variables):
        seen, after, totals = [], None, set()
        while True:
            page = (await resolved_gql.data(FILTERED, after=after, **variables))["reviewQueue"]
            totals.add(page["totalCount"])
            seen += [(e["node"]["a"]["id"], e["node"]["b"]["id"]) for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen, totals
            after = page["pageInfo"]["endCursor"]

    for variables, want in [
        ({}, expect()),
        ({"sources": ["crm"]}, expect(sources={"crm"})),
        ({"sources": ["webshop", "loyalty"]}, expect(sources={"webshop", "loyalty"})),
        ({"minSize": 4}, expect(lo=4)),
        ({"maxSize": 2}, expect(hi=2)),
        ({"minSize": 2, "maxSize": 3, "sources": ["crm"]}, expect(sources={"crm"}, lo=2, hi=3)),
    ]:
        seen, totals = await walk(**variables)
        assert seen == want and totals == {len(want)}, variables
    assert len(expect()) > len(expect(sources={"crm"})) > 0
    assert len(expect()) > len(expect(lo=4)) > 0 and len(expect()) > len(expect(hi=2)) > 0

    for bad, words in [
        ({"minSize": 0}, "minClusterSize must be at least 1"),
        ({"minSize": 3, "maxSize": 2}, "above maxClusterSize"),
        ({"sources": []}, "sources is empty"),
    ]:
        body = await resolved_gql(FILTERED, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert words in body["errors"][0]["message"]


CLUSTER = """
query($id: ID!, $min: Float) {
  profile(id: $id) {
    customers { id }
    edges(minProbability: $min) {
      inside otherProfileId match { a { id } b { id } probability status }
    }
  }
}
"""


async def test_whole_cluster_review_lists_every_edge_of_a_profile(resolved, resolved_gql) -> None:
    members = resolved.rows(
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile) RETURN c.customerId AS c, p.profileId AS p"
    )
    profile_of = {r["c"]: r["p"] for r in members}
    pid = max(set(profile_of.values()), key=lambda p: (list(profile_of.values()).count(p), p))
    mine = {c for c, p in profile_of.items() if p == pid}
    edges = resolved.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer) "
        "RETURN a.customerId AS a, b.customerId AS b, m.probability AS p, m.status AS s"
    )
    want = sorted(
        (
            (a in mine and b in mine),
            e["p"],
            a,
            b,
            None if (a in mine and b in mine) else profile_of.get(b if a in mine else a),
        )
        for e in edges
        if ((a := e["a"]) in mine or (b := e["b"]) in mine)
        and ((b := e["b"]) or True)
        and ((e["p"] or 0.0) >= 0.2 or e["s"] != "auto")
    )
    want.sort(key=lambda w: (not w[0], -(w[1] or 0.0), w[2], w[3]))
    got = (await resolved_gql.data(CLUSTER, id=pid))["profile"]
    assert len(got["customers"]) == len(mine) >= 2
    assert [
        (
            e["inside"],
            e["match"]["probability"],
            e["match"]["a"]["id"],
            e["match"]["b"]["id"],
            e["otherProfileId"],
        )
        for e in got["edges"]
    ] == want
    assert sum(1 for w in want if w[0]) >= len(mine) - 1  # the members hold together


async def test_every_explanation_adds_up_to_its_logit_and_agreement_pushes_up(
    resolved, resolved_gql
) -> None:
    """Every MATCHES edge of the population: prior + each field's push == the stored logit
    (to 1e-9), the probability is the logit's, and a field that agrees exactly pushes
    towards a match."""
    ids = [
        r["id"]
        for r in resolved.rows(
            "MATCH (c:Customer)-[:MATCHES]->(:Customer) RETURN DISTINCT c.customerId AS id"
        )
    ]
    stored = resolved.rows("MATCH ()-[m:MATCHES]->() RETURN count(m) AS n")[0]["n"]
    seen = 0
    agreeing_surnames = 0
    for cid in ids:
        data = await resolved_gql.data(MATCHES, id=cid, first=100)
        for edge in data["customer"]["matches"]["edges"]:
            n = edge["node"]
            if n["a"]["id"] != cid:
                continue  # each edge once, from its first record
            seen += 1
            total = n["intercept"] + sum(w["weight"] for w in n["explanation"])
            assert abs(total - n["logit"]) <= 1e-9, n
            assert n["probability"] == round(1 / (1 + math.exp(-n["logit"])), 12), n
            for w in n["explanation"]:
                if w["level"] == "same":
                    assert w["weight"] > 0, (w, n)
                    agreeing_surnames += w["field"] == "lastName"
            labels = {w["field"]: w["label"] for w in n["explanation"]}
            assert labels.get("lastName", "surname") == "surname"
    assert seen == stored
    assert agreeing_surnames > 0


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"min": 0.7, "max": 0.3}, "above maxProbability"),
        ({"min": -0.1}, "minProbability must be between 0 and 1"),
        ({"max": 1.5}, "maxProbability must be between 0 and 1"),
        ({"first": -1}, "first must be 0 or more"),
        ({"after": "nonsense"}, "not a cursor of this list"),
    ],
)
async def test_review_queue_refuses_bad_arguments(resolved_gql, variables, words) -> None:
    body = await resolved_gql(QUEUE, **variables)
    assert body["data"] == {"reviewQueue": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert words in error["message"]


async def test_a_cursor_only_fits_its_own_list(resolved, resolved_gql) -> None:
    queue = (await resolved_gql.data(QUEUE, first=1))["reviewQueue"]
    queue_cursor = queue["edges"][0]["cursor"]
    cid = queue["edges"][0]["node"]["a"]["id"]
    body = await resolved_gql(MATCHES, id=cid, after=queue_cursor)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["path"] == ["customer", "matches"]

    matches = (await resolved_gql.data(MATCHES, id=cid, first=1))["customer"]["matches"]
    body = await resolved_gql(QUEUE, after=matches["edges"][0]["cursor"])
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_matches_of_many_customers_cost_one_read(resolved, resolved_gql) -> None:
    query = """{ reviewQueue(minProbability: 0, maxProbability: 1, first: 100) { edges { node {
      a { matches(first: 1) { edges { node { other { id } probability } } } }
      b { matches(first: 1) { edges { node { other { id } probability } } } }
    } } } }"""
    resolved.store.reset_counts()
    edges = (await resolved_gql.data(query))["reviewQueue"]["edges"]
    assert len(edges) >= 5
    assert all(len(e["node"][side]["matches"]["edges"]) == 1 for e in edges for side in "ab")
    assert resolved.store.queries.count("api_customer_matches") == 1
