"""Grouping rules on plain data: which evidence links, hub caps, decision-makers."""

from __future__ import annotations

from datetime import date
from difflib import SequenceMatcher

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.errors import ConfigError
from app.households.grouping import ProfileFacts, SurnameAgreement, group_profiles
from app.households.ids import assign_household_ids, new_household_id
from app.households.rules import Evidence, Rules, parse_rules

TODAY = date(2026, 1, 1)


def _groups(facts: list[ProfileFacts], rules: Rules | None = None) -> list[list[str]]:
    out = group_profiles(facts, rules or Rules(), TODAY)
    return sorted(sorted(m.profile_id for m in g.members) for g in out.groups)


def test_family_plan_joins_two_surnames_into_one_household() -> None:
    facts = [
        ProfileFacts(
            "a", "Okafor", address_id="GB|LS1|1 high street", accounts=[("PLAN1", "owner")]
        ),
        ProfileFacts(
            "b", "Lindqvist", address_id="GB|M1|9 low road", accounts=[("PLAN1", "member")]
        ),
        ProfileFacts("c", "Brown", address_id="GB|B1|3 mid lane"),
    ]
    out = group_profiles(facts, Rules(), TODAY)
    assert _groups(facts) == [["a", "b"], ["c"]]
    family = next(g for g in out.groups if len(g.members) == 2)
    by_id = {m.profile_id: m for m in family.members}
    assert "account:PLAN1" in by_id["b"].evidence  # explained: the plan put b there
    assert by_id["a"].role == "decision_maker" and "owner of shared account PLAN1" in (
        by_id["a"].reason
    )
    assert by_id["b"].role == "member"


def test_a_shared_address_links_and_surnames_support_it() -> None:
    facts = [
        ProfileFacts(p, last, address_id="GB|LS1|1 high street")
        for p, last in (("a", "Smith"), ("b", "Smyth"), ("c", "Jones"))
    ]
    out = group_profiles(facts, Rules(), TODAY)
    assert _groups(facts) == [["a", "b", "c"]]  # flatmates share a home too
    members = {m.profile_id: m for m in out.groups[0].members}
    assert "surname:smith" in members["a"].evidence  # Smith ~ Smyth
    assert not any(e.startswith("surname") for e in members["c"].evidence)
    assert members["a"].confidence > members["c"].confidence


def test_a_crowded_address_only_links_agreeing_surnames() -> None:
    # A block of flats under one key: 12 profiles, two families of 3 and six others.
    names = ["Patel"] * 3 + ["Nowak"] * 3 + ["Ito", "Dube", "Kerr", "Silva", "Yilmaz", "Haddad"]
    facts = [
        ProfileFacts(f"p{i:02d}", n, address_id="GB|E1|tower block") for i, n in enumerate(names)
    ]
    out = group_profiles(facts, Rules(), TODAY)
    sizes = sorted(len(g.members) for g in out.groups)
    assert sizes == [1] * 6 + [3, 3]
    assert out.hubs["address"] == 1


def test_surnames_agree_without_their_accents() -> None:
    """At a crowded address only agreeing surnames link: "Núñez" and "Nunez" agree, as
    matching reads them (they were "nez" and "nunez", too far apart)."""
    names = ["Núñez", "Núñez", "Nunez", "Ito", "Dube", "Kerr", "Silva", "Yilmaz", "Haddad"]
    names += ["Okafor", "Lindqvist", "Brown"]
    facts = [
        ProfileFacts(f"p{i:02d}", n, address_id="GB|E1|tower block") for i, n in enumerate(names)
    ]
    out = group_profiles(facts, Rules(), TODAY)
    assert _groups(facts)[0] == ["p00", "p01", "p02"]
    assert sorted(len(g.members) for g in out.groups) == [1] * 9 + [3]
    members = {m.profile_id: m for m in out.groups[0].members if m.profile_id == "p02"}
    assert "surname:nunez" in members["p02"].evidence


def test_a_hub_device_does_not_chain_households() -> None:
    # A public device used by 20 people from 20 homes must not make one household.
    facts = [
        ProfileFacts(f"p{i:02d}", f"Name{i}", address_id=f"GB|X{i}|{i} road", devices=["KIOSK"])
        for i in range(20)
    ]
    out = group_profiles(facts, Rules(), TODAY)
    assert len(out.groups) == 20
    assert out.hubs["device"] == 1
    # and a rule file can switch a kind off altogether
    rules = parse_rules({"device": {"enabled": False}, "account": {"max_profiles": 3}})
    assert rules.device.enabled is False and rules.account == Evidence(
        max_profiles=3, confidence=0.95
    )


def test_household_size_cap_drops_the_weakest_evidence() -> None:
    # Two families of 4 joined only by one device: over a cap of 6 the device link goes.
    facts = [ProfileFacts(f"a{i}", "Ames", address_id="GB|A|1 a street") for i in range(4)]
    facts += [ProfileFacts(f"b{i}", "Bond", address_id="GB|B|2 b street") for i in range(4)]
    facts[0].devices = facts[4].devices = ["TV1"]
    assert len(_groups(facts)) == 1
    assert len(_groups(facts, parse_rules({"max_household_size": 6}))) == 2


def test_decision_maker_falls_back_to_the_eldest_adult_then_spend() -> None:
    facts = [
        ProfileFacts("kid", "Ng", "2012-05-01", "GB|N|5 n road", spend=900.0),
        ProfileFacts("mum", "Ng", "1975-02-03", "GB|N|5 n road", spend=10.0),
        ProfileFacts("dad", "Ng", "1977-02-03", "GB|N|5 n road", spend=50.0),
    ]
    members = {m.profile_id: m for m in group_profiles(facts, Rules(), TODAY).groups[0].members}
    assert members["mum"].role == "decision_maker"
    assert members["mum"].reason.startswith("eldest adult")
    by_spend = parse_rules({"decision_maker": ["highest_spend"]})
    members = {m.profile_id: m for m in group_profiles(facts, by_spend, TODAY).groups[0].members}
    assert members["dad"].role == "decision_maker"  # the adult with the highest spend


def test_bad_rules_are_refused_with_the_key_named() -> None:
    with pytest.raises(ConfigError, match="decision_maker"):
        parse_rules({"decision_maker": ["loudest"]})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_rules({"adress": {"max_profiles": 3}})
    with pytest.raises(ConfigError, match="device"):
        parse_rules({"device": {"max_profiles": 1}})


def test_ids_stay_with_who_stays_and_follow_who_joins() -> None:
    previous = {"a": "H1", "b": "H1", "c": "H1", "d": "H2"}
    # c moves in with d: H1 stays with a and b, H2 with d (joined by c)
    out = assign_household_ids([["a", "b"], ["c", "d"]], previous)
    assert out.ids == ["H1", "H2"]
    assert not out.retired
    fresh = assign_household_ids([["x", "y"]], {})
    assert fresh.ids == [new_household_id(["y", "x"])] and fresh.ids[0].startswith("HH-")


# Two letters make difflib's asymmetric cases common: ('baabbba', 'babbabaa') rate 0.4 one
# way and 0.8 the other.
SURNAME_KEYS = st.text(alphabet="ab", max_size=8)


@given(st.lists(st.tuples(SURNAME_KEYS, SURNAME_KEYS), max_size=40))
@example([("baabbba", "babbabaa")])
def test_surname_agreement_remembers_each_ordered_pair_as_difflib_rates_it(
    asked: list[tuple[str, str]],
) -> None:
    """One SurnameAgreement answers every question, in any order, repeats and reversed pairs
    included (difflib's ratio is not symmetric), as a fresh comparison of the two would."""
    agree = SurnameAgreement(0.8)
    for x, y in asked + [(y, x) for x, y in asked] + asked:
        fresh = bool(x and y) and (x == y or SequenceMatcher(None, x, y).ratio() >= 0.8)
        assert agree(x, y) == fresh
