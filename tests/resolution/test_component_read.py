"""The component real time, stewards and the dial read (component.component_rows): the
records connected by stored MATCHES edges, as batch clusters them, however far apart, on
every backend."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.resolution.component import component_rows
from app.store import GraphStore

N = 14  # records r00..r13


def _graph(store: GraphStore, edges: set[tuple[int, int]]) -> None:
    """Records r00..r13 and a MATCHES edge for each pair (smaller id first, as stored)."""
    store.run_text("MATCH (c:Customer) DETACH DELETE c", write=True)
    ids = [f"r{i:02d}" for i in range(N)]
    store.run_text(
        "UNWIND $ids AS id CREATE (:Customer {customerId: id, source: 'crm', sourceKey: id})",
        {"ids": ids},
        write=True,
    )
    rows = [{"a": f"r{min(e):02d}", "b": f"r{max(e):02d}"} for e in edges]
    store.run_text(
        "UNWIND $rows AS e MATCH (a:Customer {customerId: e.a}) "
        "MATCH (b:Customer {customerId: e.b}) "
        "CREATE (a)-[:MATCHES {probability: 0.9, status: 'auto'}]->(b)",
        {"rows": rows},
        write=True,
    )


def _connected(edges: set[tuple[int, int]], seed: int) -> set[str]:
    """The records reachable from `seed`, by a search over the edges."""
    seen, todo = {seed}, [seed]
    while todo:
        at = todo.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == at and y not in seen:
                    seen.add(y)
                    todo.append(y)
    return {f"r{i:02d}" for i in seen}


def _nearest(edges: set[tuple[int, int]], seeds: list[int], cap: int) -> set[str]:
    """Over the cap, the records the read keeps: the seeds, then step by step the records
    the last step's edges reach, each step's in id order, until `cap` are kept."""
    kept: list[int] = []
    step = list(dict.fromkeys(seeds))[:cap]
    while step:
        kept += step
        reached = {y for a, b in edges for x, y in ((a, b), (b, a)) if x in step}
        step = sorted(reached - set(kept))[: cap - len(kept)]
    return {f"r{i:02d}" for i in kept}


def test_a_chain_is_read_to_its_far_end(store: GraphStore) -> None:
    """r00 - r01 - ... - r13: from one end, all fourteen (a read four edges out stopped at
    r04, and the records there were placed without the rest)."""
    _graph(store, {(i, i + 1) for i in range(N - 1)})
    rows, cut = component_rows(store, ["r00"], cap=500)
    assert [r["customerId"] for r in rows] == [f"r{i:02d}" for i in range(N)]
    assert not cut
    rows, cut = component_rows(store, ["r00"], cap=N)  # exactly the cap: whole
    assert (len(rows), cut) == (N, False)


def test_over_the_cap_a_hub_keeps_its_first_neighbours(store: GraphStore) -> None:
    """r00 matched to each of r01..r13, a cap of 4: the hub and its first three neighbours
    by id."""
    _graph(store, {(0, i) for i in range(1, N)})
    rows, cut = component_rows(store, ["r00"], cap=4)
    assert [r["customerId"] for r in rows] == ["r00", "r01", "r02", "r03"]
    assert cut


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edges=st.sets(
        st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)).filter(lambda e: e[0] != e[1]),
        max_size=20,
    ),
    seed=st.integers(0, N - 1),
    more=st.lists(st.integers(0, N - 1), max_size=2),
    cap=st.integers(2, N + 1),
)
def test_the_component_read_is_the_connected_records_up_to_the_cap(
    store: GraphStore, edges: set[tuple[int, int]], seed: int, more: list[int], cap: int
) -> None:
    """Any graph, from a seed and up to two more (real time's candidates) and an id not in
    the graph (the record being placed): the records connected to them, in customerId order;
    over the cap, `cap` of them: the seeds (the dial and real time place around them), then
    the nearest; and whether records were left out, exactly."""
    edges = {(min(e), max(e)) for e in edges}
    _graph(store, edges)
    seeds = [seed, *more]
    asked = [f"r{i:02d}" for i in seeds] + ["new"]
    rows, cut = component_rows(store, asked, cap)
    got = [str(r["customerId"]) for r in rows]
    whole = set().union(*(_connected(edges, s) for s in seeds))
    assert got == sorted(got)
    assert cut == (len(whole) > cap)
    if len(whole) <= cap:
        assert set(got) == whole
    else:
        assert set(got) == _nearest(edges, seeds, cap)
        assert len(got) == cap
    assert f"r{seed:02d}" in got
