"""Change marks (app/store/marks.py), on every backend: every write moves its writer's mark,
after the write; a flow or stage moves each writer's mark once, as it ends; bookkeeping moves
none; a stage's check finds nothing to do only when every mark it reads and its key are as
they were."""

from __future__ import annotations

import threading

import pytest

from app.audit import READ_PII
from app.audit import record as audit
from app.errors import StoreConflict, StoreError
from app.store import GraphStore, marks
from app.store.writer import BackgroundWriter


def _seqs(store: GraphStore) -> dict[str, int]:
    return {str(r["writer"]): int(r["seq"]) for r in store.read("change_marks")}


def _customer(n: int) -> dict[str, object]:
    return {"customerId": f"crm:M{n}", "props": {"source": "crm", "sourceKey": f"M{n}"}}


def test_each_write_outside_a_flow_moves_the_other_mark_at_once(store: GraphStore) -> None:
    store.write_batches("upsert_customers", [_customer(1)], 10)
    assert _seqs(store) == {marks.OTHER: 1}
    store.write_batches("upsert_customers", [_customer(2), _customer(3)], 1)  # two writes
    store.run_text("MATCH (c:Customer {customerId: 'crm:M1'}) SET c.city = 'Leeds'", write=True)
    assert _seqs(store) == {marks.OTHER: 4}


def test_a_flow_moves_each_writer_once_as_it_ends(store: GraphStore) -> None:
    with marks.writing_as(store, marks.RESOLVE):
        store.write_batches("upsert_customers", [_customer(n) for n in range(5)], 2)
        with marks.writing_as(store, marks.HOUSEHOLDS):
            store.write_batches("upsert_customers", [_customer(9)], 10)
        store.write_batches("upsert_customers", [_customer(8)], 10)
        assert _seqs(store) == {}  # not before the flow's writes are all done
    assert _seqs(store) == {marks.RESOLVE: 1, marks.HOUSEHOLDS: 1}


def test_writes_sent_from_a_flows_threads_are_the_flows(store: GraphStore) -> None:
    with marks.writing_as(store, marks.METRICS):
        # several batches: sent from a sender thread on FalkorDB (write_prepared)
        store.write_batches("upsert_customers", [_customer(n) for n in range(6)], 2)
        with BackgroundWriter(store, 2) as writer:
            writer.put("upsert_customers", [_customer(n) for n in range(6, 10)])
    assert _seqs(store) == {marks.METRICS: 1}


def test_a_write_that_fails_moves_the_mark(store: GraphStore) -> None:
    store.write_batches("upsert_customers", [_customer(1)], 10)
    with pytest.raises(StoreError):  # the key is taken
        store.run_text("CREATE (:Customer {customerId: 'crm:M1'})", write=True)
    assert _seqs(store) == {marks.OTHER: 2}


def test_a_flow_that_fails_moves_the_marks_of_what_it_wrote(store: GraphStore) -> None:
    with pytest.raises(RuntimeError), marks.writing_as(store, marks.RESOLVE):
        store.write_batches("upsert_customers", [_customer(1)], 10)
        raise RuntimeError("stopped half way")
    assert _seqs(store) == {marks.RESOLVE: 1}


def test_locks_stage_records_audit_and_the_marks_move_no_mark(store: GraphStore) -> None:
    with store.lock("resolution", ttl_s=5):
        pass
    # An audit event (every read of personal data writes one): no stage reads the trail.
    audit(store, "tester", READ_PII, "", None, {"profile": "PR-1"}, [], ["PR-1"])
    run = marks.check(store, "resolve", [marks.OTHER], "k")
    marks.finished(store, run, {"profiles": 1})
    store.write("resolve_state_set", stage="batch", digest="d", summary="{}", at="now")
    assert _seqs(store) == {}
    marks.bump(store, [marks.OTHER])
    assert _seqs(store) == {marks.OTHER: 1}


def test_a_stage_has_nothing_to_do_only_when_its_marks_and_key_are_as_they_were(
    store: GraphStore,
) -> None:
    reads = [marks.OTHER, marks.RESOLVE]
    first = marks.check(store, "households", reads, "key-1")
    assert first.last is None  # never run
    marks.finished(store, first, {"households": 3})
    assert marks.check(store, "households", reads, "key-1").last == {"households": 3}
    assert marks.check(store, "households", reads, "key-2").last is None  # another day
    assert marks.check(store, "households", reads, "key-1", full=True).last is None
    marks.bump(store, [marks.METRICS])  # a writer it does not read
    assert marks.check(store, "households", reads, "key-1").last == {"households": 3}
    marks.bump(store, [marks.RESOLVE])  # one it reads
    assert marks.check(store, "households", reads, "key-1").last is None


def test_a_mark_made_again_is_not_the_old_one(store: GraphStore) -> None:
    marks.bump(store, [marks.OTHER])
    run = marks.check(store, "metrics", [marks.OTHER], "k")
    marks.finished(store, run, {"profiles": 0})
    # The delete is a write: OTHER's mark is made anew after it, at the count it had before.
    store.run_text("MATCH (m:ChangeMark) DELETE m", write=True)
    assert _seqs(store) == {marks.OTHER: 1}
    assert marks.check(store, "metrics", [marks.OTHER], "k").last is None


def test_flows_in_two_threads_move_their_own_writers(store: GraphStore) -> None:
    done = threading.Barrier(2)

    def flow(writer: str, n: int) -> None:
        with marks.writing_as(store, writer):
            store.write_batches("upsert_customers", [_customer(n)], 10)
            done.wait(timeout=30)

    threads = [
        threading.Thread(target=flow, args=(marks.RESOLVE, 1)),
        threading.Thread(target=flow, args=(marks.HOUSEHOLDS, 2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _seqs(store) == {marks.RESOLVE: 1, marks.HOUSEHOLDS: 1}


def test_two_writers_making_a_mark_at_once_both_move_it(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other writer's MERGE makes the mark between this one's look and its commit: the
    store refuses this one as a duplicate (as the Neo4j stand-in did with a stage and its
    golden-consent thread on a cleared store), and the bump is sent again."""
    write = store.write
    raced: list[str] = []

    def racing(name: str, **params: object) -> object:
        if name == "change_mark_bump" and not raced:
            raced.append(name)
            write(name, **params)  # the other writer's bump, first
            raise StoreConflict("Duplicated key [other] found on index 'ChangeMark[writer]'")
        return write(name, **params)

    monkeypatch.setattr(store, "write", racing)
    marks.bump(store, [marks.OTHER])
    assert _seqs(store) == {marks.OTHER: 2}
