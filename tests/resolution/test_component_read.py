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


def test_a_chain_is_read_to_its_far_end(store: GraphStore) -> None:
    """r00 - r01 - ... - r13: from one end, all fourteen (a read four edges out stopped at
    r04, and the records there were placed without the rest)."""
    _graph(store, {(i, i + 1) for i in range(N - 1)})
    rows = component_rows(store, ["r00"], cap=500)
    assert [r["customerId"] for r in rows] == [f"r{i:02d}" for i in range(N)]


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
    cap=st.integers(2, N + 1),
)
def test_the_component_read_is_the_connected_records_up_to_the_cap(
    store: GraphStore, edges: set[tuple[int, int]], seed: int, cap: int
) -> None:
    """Any graph: the records connected to the seed, in customerId order; over the cap, `cap`
    of them, the seed among them (the dial and real time place around it)."""
    edges = {(min(e), max(e)) for e in edges}
    _graph(store, edges)
    got = [str(r["customerId"]) for r in component_rows(store, [f"r{seed:02d}"], cap)]
    whole = _connected(edges, seed)
    assert got == sorted(got)
    if len(whole) <= cap:
        assert set(got) == whole
    else:
        assert len(got) == cap
        assert set(got) < whole
    assert f"r{seed:02d}" in got
