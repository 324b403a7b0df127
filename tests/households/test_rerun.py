"""Households and Group DNA write only what changed (issue 18): a re-run on unchanged data
writes nothing and leaves the graph as it was; a small change writes the rows it touches and
gives the grouping and Group DNA a run from scratch gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.households import resolve
from app.households.dna import all_household_ids, compute_dna
from app.households.resolve import resolve_households
from app.ingestion.batch import load_directory
from app.settings import Settings
from app.store import GraphStore
from bench.households import one_profile_per_person
from tests.households.conftest import Person
from tests.ingestion.test_digest import digest
from tests.writes import counting

TODAY = date(2026, 1, 1)


def _households(store: GraphStore, settings: Settings) -> None:
    """As `idgraph households` runs them: Group DNA of every household the grouping left,
    which are exactly the active ones in the graph."""
    summary = resolve_households(store, settings, today=TODAY)
    assert sorted(summary.household_ids) == all_household_ids(store)
    compute_dna(store, settings, sorted(summary.household_ids), today=TODAY)


def test_a_rerun_on_unchanged_data_writes_nothing(
    store: GraphStore,
    backend_settings: Settings,
    synthetic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = backend_settings.model_copy(update={"data_dir": tmp_path / "data"})
    load_directory(store, synthetic, settings, show_progress=False)
    one_profile_per_person(store, settings, synthetic / "truth_records.csv")
    read = store.read
    names: list[str] = []
    monkeypatch.setattr(store, "read", lambda name, **p: names.append(name) or read(name, **p))
    with counting(store, monkeypatch) as first:
        _households(store, settings)
    made = set(all_household_ids(store))
    rows, _ = store.run_text(
        "MATCH (:Profile)-[m:MEMBER_OF {status: 'current'}]->(:Household) RETURN count(m) AS n",
        write=False,
    )
    assert rows[0]["n"] == 150  # one membership per person
    if store.has_bulk_path:  # a first grouping goes by it (tests/households/test_firstrun.py)
        assert not first.rows["household_create"] and not first.rows["household_create_members"]
    else:
        assert first.ids("household_create", "householdId") == made
        assert len(first.rows["household_create_members"]) == 150
    assert "household_upsert" not in first.rows
    # Group DNA never written before: no histories to read
    assert "household_dna_props" not in names
    after_first = digest(store)

    with counting(store, monkeypatch) as again:
        _households(store, settings)
    assert again.count == 0
    assert again.summary.properties_set == 0
    assert digest(store) == after_first
    # Group DNA compared by each household's dnaState: no histories read
    assert "household_dna_props" not in names


def test_group_dna_written_before_its_state_was_kept_gains_it_without_a_change(
    people: Person, store: GraphStore, settings: Settings
) -> None:
    """A household whose Group DNA was stored without `dnaState` (before it existed) is read
    in full once: the batch writes its state alone (no change handed on, no history point,
    dnaComputedAt still the time of the last change)."""
    _town(people, moved=False)
    _households(store, settings)
    held = "MATCH (h:Household) RETURN h.householdId AS h, properties(h) AS p ORDER BY h"
    before, _ = store.run_text(held, write=False)
    store.run_text("MATCH (h:Household) REMOVE h.dnaState", write=True)

    changes = compute_dna(store, settings, all_household_ids(store), today=TODAY)

    assert changes == []
    after, _ = store.run_text(held, write=False)
    assert after == before


def _town(people: Person, moved: bool) -> None:
    """Households of two, three and one; `moved`: b2 lives with the Moss household and c1
    has made a second purchase."""
    people.add("a1", "Moss", address="GB|LS1|1 elm street", events=[{"value": 10.0}])
    people.add("a2", "Moss", address="GB|LS1|1 elm street")
    people.add("b1", "Reyes", address="GB|M1|7 oak road", events=[{"value": 5.0}])
    people.add("b2", "Reyes", address="GB|LS1|1 elm street" if moved else "GB|M1|7 oak road")
    people.add("b3", "Reyes", address="GB|M1|7 oak road")
    people.add(
        "c1",
        "Khan",
        address="GB|B1|2 ash lane",
        events=[{"value": 7.0}, {"value": 3.0}] if moved else [{"value": 7.0}],
    )


def _view(store: GraphStore) -> list[Any]:
    """The grouping and Group DNA as a user sees them, without IDs, times or histories
    (which depend on the order of events, not on the data)."""
    rows, _ = store.run_text(
        "MATCH (p:Profile)-[m:MEMBER_OF]->(h:Household) WHERE m.status = 'current' "
        "RETURN h.householdId AS h, properties(h) AS props, p.profileId AS p, m.role AS role, "
        "m.reason AS reason, m.evidence AS evidence, m.confidence AS confidence",
        write=False,
    )
    groups: dict[str, Any] = {}
    for r in rows:
        props = {
            k: v
            for k, v in r["props"].items()
            if k in ("size", "addressId", "evidenceKinds", "decisionMaker", "status")
            or (k.startswith("dna_") and not k.endswith(("_at", "_hv", "_ht", "_slope", "_pct")))
        }
        g = groups.setdefault(r["h"], {"props": props, "members": []})
        g["members"].append([r["p"], r["role"], r["reason"], r["evidence"], r["confidence"]])
    return sorted([sorted(g["members"]), sorted(g["props"].items())] for g in groups.values())


def test_a_small_change_writes_what_it_touches_and_matches_a_run_from_scratch(
    people: Person, store: GraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _town(people, moved=False)
    _households(store, settings)
    home = {
        p: r["householdId"]
        for p in ("a1", "b1", "c1")
        for r in store.read("household_memberships_of", ids=[p])
    }

    _town(people, moved=True)  # b2 moves in with the Moss household; c1 buys again
    with counting(store, monkeypatch) as changed:
        _households(store, settings)
    assert changed.ids("household_upsert", "householdId") == {home["a1"], home["b1"]}
    assert changed.ids("household_end_memberships", "profileId") == {"b2"}
    assert changed.ids("household_create_members", "profileId") == {"b2"}
    assert changed.ids("household_set_dna", "householdId") == {home["a1"], home["b1"], home["c1"]}
    assert set(changed.rows) == {
        "household_upsert",
        "household_end_memberships",
        "household_create_members",
        "household_set_dna",
    }
    assert changed.count == 2 + 1 + 1 + 3
    incremental = _view(store)

    store.clear()
    store.setup_schema()
    _town(people, moved=True)
    _households(store, settings)
    assert _view(store) == incremental


def test_a_rerun_with_nothing_changed_groups_nothing_and_reports_the_last_grouping(
    people: Person, store: GraphStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same facts, same memberships, same rules and day: the grouping is not done again. A
    membership changed by another writer, or another day (ages decide roles), groups in full."""
    _town(people, moved=False)
    first = resolve_households(store, settings, today=TODAY)
    grouped: list[int] = []
    group = resolve.group_profiles
    monkeypatch.setattr(
        resolve, "group_profiles", lambda *a, **k: grouped.append(1) or group(*a, **k)
    )

    again = resolve_households(store, settings, today=TODAY)

    assert grouped == []
    same = ("profiles", "households", "multi_member", "largest", "hubs")
    assert [getattr(again, k) for k in same] == [getattr(first, k) for k in same]
    assert (again.kept_ids, again.new_ids, again.retired_ids) == (first.households, 0, 0)
    assert (again.memberships_ended, again.dissolved, again.membership_changes) == (0, 0, [])
    assert sorted(again.household_ids) == sorted(first.household_ids)

    role = (
        "MATCH (:Profile {profileId: 'b2'})-[m:MEMBER_OF {status: 'current'}]->() "
        "RETURN m.role AS role"
    )
    held = store.run_text(role, write=False)[0]
    store.run_text(
        "MATCH (:Profile {profileId: 'b2'})-[m:MEMBER_OF {status: 'current'}]->() "
        "SET m.role = 'lodger'",
        write=True,
    )
    resolve_households(store, settings, today=TODAY)
    assert grouped == [1]
    assert store.run_text(role, write=False)[0] == held

    resolve_households(store, settings, today=date(2026, 1, 2))
    assert grouped == [1, 1]
