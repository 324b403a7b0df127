"""Household resolution on the embedded store: moves keep history, IDs are stable across
runs, Group DNA is recomputed per household, and the synthetic truth is met."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.households.dna import all_household_ids, compute_dna, refresh_household
from app.households.evaluate import evaluate_households, household_truth
from app.households.events import profiles_changed
from app.households.resolve import resolve_households
from app.settings import Settings
from app.store import GraphStore

TODAY = date(2026, 1, 1)


def _edges(store: GraphStore, pid: str) -> list[dict[str, Any]]:
    rows, _ = store.run_text(
        "MATCH (:Profile {profileId: $p})-[m:MEMBER_OF]->(h:Household) "
        "RETURN h.householdId AS household, m.status AS status, m.since AS since, "
        "m.until AS until, m.endReason AS endReason, m.role AS role, m.endedRole AS endedRole "
        "ORDER BY status",
        {"p": pid},
        write=False,
    )
    return rows


def _household_of(store: GraphStore, pid: str) -> str:
    return next(e["household"] for e in _edges(store, pid) if e["status"] == "current")


def test_a_move_reassigns_the_household_and_keeps_history(people, store, settings) -> None:
    for pid in ("a1", "a2", "a3"):
        people.add(pid, "Moss", address="GB|LS1|1 elm street")
    people.add("b1", "Reyes", address="GB|M1|7 oak road")
    resolve_households(store, settings, today=TODAY)
    home_a, home_b = _household_of(store, "a1"), _household_of(store, "b1")
    assert _household_of(store, "a3") == home_a != home_b

    people.add("a3", "Moss", address="GB|M1|7 oak road")  # a3 moves in with b1
    changes = profiles_changed(store, settings, ["a3"])

    edges = _edges(store, "a3")
    assert [(e["household"], e["status"]) for e in edges] == [
        (home_b, "current"),
        (home_a, "ended"),
    ]
    ended = edges[1]
    assert ended["until"] and ended["since"] and ended["endReason"] == f"moved to {home_b}"
    assert ended["role"] is None and ended["endedRole"] == "member"  # roles are current only
    assert _household_of(store, "a1") == home_a  # the ones who stayed keep the household
    assert _household_of(store, "b1") == home_b  # the one joined keeps hers
    # and the Group DNA of both households follows, handed on for the alert rules
    members = {c.entity_id: c.value for c in changes if c.metric == "members"}
    assert members == {home_a: 2, home_b: 2}


def test_ids_are_stable_across_a_rerun(people, store, settings) -> None:
    people.add("a1", "Moss", address="GB|LS1|1 elm street", accounts=[("ACC", "payer")])
    people.add("a2", "Moss", address="GB|LS1|1 elm street", accounts=[("ACC", "member")])
    people.add("c1", "Cole", address="GB|B1|2 ash row")
    first = resolve_households(store, settings, today=TODAY)
    before = {p: _household_of(store, p) for p in ("a1", "a2", "c1")}
    again = resolve_households(store, settings, today=TODAY)
    assert {p: _household_of(store, p) for p in ("a1", "a2", "c1")} == before
    assert (first.households, again.kept_ids, again.new_ids) == (2, 2, 0)
    assert all(len(_edges(store, p)) == 1 for p in before)  # no churn of edges
    roles = {p: _edges(store, p)[0]["role"] for p in ("a1", "a2")}
    assert roles == {"a1": "decision_maker", "a2": "member"}


def test_group_dna_is_computed_and_refreshed_for_one_household(people, store, settings) -> None:
    people.add(
        "a1",
        "Moss",
        address="GB|LS1|1 elm street",
        accounts=[("ACC", "owner")],
        devices=["TV"],
        events=[{"value": 40.0}, {"value": 2000.0, "type": "data_usage", "accountId": "ACC"}],
    )
    people.add(
        "a2",
        "Moss",
        address="GB|LS1|1 elm street",
        accounts=[("ACC", "member")],
        devices=["TV", "PHONE2"],
        events=[{"value": 20.0}],
    )
    resolve_households(store, settings, today=TODAY)
    changes = compute_dna(store, settings, all_household_ids(store), today=TODAY)
    hid = _household_of(store, "a1")
    rows, _ = store.run_text(
        "MATCH (h:Household {householdId: $h}) RETURN properties(h) AS p", {"h": hid}, write=False
    )
    dna = rows[0]["p"]
    assert (dna["dna_members"], dna["dna_devices"], dna["dna_accounts"]) == (2, 2, 1)
    assert dna["dna_totalSpend"] == 60.0 and dna["dna_spendPerMember"] == 30.0
    assert dna["dna_dataUsageMb"] == 2000.0 and dna["dataUsageMonth"] == "2025-03"
    assert {c.metric for c in changes if c.entity_id == hid} >= {"members", "totalSpend"}

    # a member's new purchase arrives: one household recomputed, the change handed on
    people.add(
        "a2",
        "Moss",
        address="GB|LS1|1 elm street",
        accounts=[("ACC", "member")],
        devices=["TV", "PHONE2"],
        events=[{"value": 20.0}, {"value": 15.5}],
    )
    changed = {c.metric: c for c in refresh_household(store, settings, hid)}
    assert set(changed) == {"totalSpend", "spendPerMember"}
    spend = changed["totalSpend"]
    assert (spend.label, spend.previous, spend.value, spend.history) == (
        "Household",
        60.0,
        75.5,
        (60.0, 75.5),
    )
    # Stored as Customer DNA is (app/metrics/storage.py): a first value and its time, no
    # history lists; the lists from the second value on, the time that of the last.
    first_at = dna["dna_totalSpend_at"]
    assert "dna_totalSpend_hv" not in dna and "dna_totalSpend_ht" not in dna
    rows, _ = store.run_text(
        "MATCH (h:Household {householdId: $h}) RETURN properties(h) AS p", {"h": hid}, write=False
    )
    now = rows[0]["p"]
    assert now["dna_totalSpend_hv"] == [60.0, 75.5]
    assert now["dna_totalSpend_ht"] == [first_at, now["dna_totalSpend_at"]]
    assert now["dna_totalSpend_at"] == spend.at
    assert now["dna_totalSpend_pct"] == round((75.5 - 60.0) / 60.0 * 100, 4)
    assert now["dna_members"] == 2 and "dna_members_hv" not in now  # did not change


def test_group_dna_from_the_grouping_read_is_what_each_household_reads_for_itself(
    population,
) -> None:
    """Batch Group DNA counts devices, accounts and spend from the facts household
    resolution read of every profile; one household's refresh reads its members' facts. On a
    synthetic population the second finds nothing to change after the first: every value,
    spend to the last digit, the same."""
    store, settings = population.store, population.settings
    summary = resolve_households(store, settings, today=TODAY)
    assert len(summary.facts) == summary.profiles
    ids = all_household_ids(store)
    compute_dna(store, settings, ids, today=TODAY, facts=summary.facts)
    assert compute_dna(store, settings, ids, today=TODAY, batch_size=7) == []
    spend = [
        r["s"]
        for r in store.run_text("MATCH (h:Household) RETURN h.dna_totalSpend AS s", write=False)[0]
    ]
    assert sum(1 for s in spend if s) > len(ids) // 2  # spend was counted, not left out


def _group_dna(store: GraphStore) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Every household's Group DNA values (not the times and histories, which depend on
    when they were computed)."""
    rows, _ = store.run_text(
        "MATCH (h:Household) RETURN h.householdId AS h, properties(h) AS p", write=False
    )
    return sorted(
        (
            r["h"],
            sorted(
                (k, v)
                for k, v in r["p"].items()
                if k.startswith("dna_") and not k.endswith(("_at", "_hv", "_ht"))
            ),
        )
        for r in rows
    )


def test_group_dna_in_many_batches_writes_and_hands_on_what_one_batch_does(population) -> None:
    """Batches overlap (the next one's reads and the last one's write run while one is
    computed): from no Group DNA, batches of 7 leave every household's values as one batch
    does, and hand on the same changes."""
    store, settings = population.store, population.settings

    def from_scratch(batch_size: int) -> tuple[list[Any], list[Any]]:
        store.run_text("MATCH (h:Household) DETACH DELETE h", write=True)
        store.run_text("MATCH (s:ResolveState {name: 'households'}) DELETE s", write=True)
        summary = resolve_households(store, settings, today=TODAY)
        ids = sorted(summary.household_ids)
        changes = compute_dna(store, settings, ids, today=TODAY, batch_size=batch_size)
        return _group_dna(store), sorted((c.entity_id, c.metric, c.value) for c in changes)

    one = from_scratch(100_000)
    many = from_scratch(7)
    assert len(one[0]) > 7 * 10 and one[1]
    assert many == one


def test_households_meet_the_synthetic_truth(population) -> None:
    settings: Settings = population.settings
    resolve_households(population.store, settings)
    scores = evaluate_households(population.store, household_truth(population.truth_records))
    assert scores.records.f1 >= 0.95, scores
    assert scores.records.precision >= 0.98, scores
    assert scores.decision_maker_accuracy >= 0.7, scores


class _Reversed:
    """The real store, its rows returned last first: the order of a store's rows is not
    part of any contract."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store

    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        return list(reversed(self.store.read(name, **params)))


def test_household_scores_do_not_depend_on_the_order_of_the_stores_rows(population) -> None:
    resolve_households(population.store, population.settings)
    scores = evaluate_households(population.store, household_truth(population.truth_records))
    reordered = evaluate_households(
        _Reversed(population.store), household_truth(population.truth_records)
    )
    assert reordered == scores


def test_a_retired_profile_leaves_its_household(people, store, settings) -> None:
    people.add("a1", "Moss", address="GB|LS1|1 elm street")
    people.add("a2", "Moss", address="GB|LS1|1 elm street")
    resolve_households(store, settings, today=TODAY)
    home = _household_of(store, "a1")
    # resolution merges a2 into a1 (a steward found they are one person)
    store.write_batches(
        "retire_profiles",
        [{"profileId": "a2", "successor": "a1", "at": "2026-01-01T00:00:00Z"}],
        10,
    )
    profiles_changed(store, settings, ["a1", "a2"])
    (edge,) = _edges(store, "a2")
    assert (edge["household"], edge["status"], edge["endReason"]) == (
        home,
        "ended",
        "profile no longer active",
    )
    assert _household_of(store, "a1") == home
