"""The customer 360's one read (api_customer_360) gives each part exactly what the part's own
read gives: the customer, its profile, its identifiers, the profile's household with the
decision-maker's consent, and the household's memberships (current and ended), on both
stores."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from app.api import reads
from app.api.records import Identifiers
from app.households.events import profiles_changed
from app.households.marketing import HouseholdHit, households_of_profiles
from app.households.resolve import resolve_households
from app.privacy.consent import record_statement
from app.store import GraphStore

TODAY = date(2026, 1, 1)


def _parts(store: GraphStore, cid: str) -> reads.Customer360 | None:
    """The 360 from the reads each resolver makes on its own."""
    customer = reads.customers(store, [cid]).get(cid)
    if customer is None:
        return None
    profile = reads.customer_profiles(store, [cid]).get(cid)
    household = None
    if profile is not None:
        household = households_of_profiles(store, [profile.profile.id]).get(profile.profile.id)
    members = []
    if household is not None:
        members = reads.household_members(store, [household.id]).get(household.id, [])
    found = reads.identifiers(store, [cid]).get(cid, Identifiers())
    return reads.Customer360(customer, profile, found, household, members)


def _comparable(whole: reads.Customer360 | None) -> Any:
    """The statements of a consent in a fixed order (each read gives them in the store's)."""
    if whole is None or whole.household is None:
        return whole
    hit: HouseholdHit = whole.household
    statements = tuple(sorted(hit.dm_consent.statements, key=repr))
    consent = hit.dm_consent._replace(statements=statements)
    return dataclasses.replace(whole, household=dataclasses.replace(hit, dm_consent=consent))


def test_the_one_read_gives_what_each_part_reads(people, store, settings) -> None:
    people.add("a1", "Moss", address="GB|LS1|1 elm street", dob="1950-01-01", consent=True)
    people.add("a2", "Moss", address="GB|LS1|1 elm street", email="a2@example.com")
    people.record("a1", "W1", consent=False)  # the decision-maker's second record refuses
    people.add("a3", "Moss", address="GB|LS1|1 elm street", accounts=[("ACC", "payer")])
    people.add("b1", "Reyes", address="GB|M1|7 oak road", consent=True)
    people.add("c1", "Cole")  # no address: a household of one
    record_statement(
        store, "crm:a1", "marketing", "email", True, "consent", "agent", at="2025-09-01"
    )
    resolve_households(store, settings, today=TODAY)
    people.add("a3", "Moss", address="GB|M1|7 oak road")  # moves: an ended membership
    profiles_changed(store, settings, ["a3"])
    people.add("d1", "Vane")  # a profile that came after the households ran: in none
    # a record no resolution has placed yet
    store.write_batches(
        "upsert_customers", [{"customerId": "web:z", "props": {"source": "web"}}], 10
    )

    ids = [
        "crm:a1",
        "crm:a2",
        "webshop:W1",
        "crm:a3",
        "crm:b1",
        "crm:c1",
        "crm:d1",
        "web:z",
        "crm:none",
    ]
    wholes = {cid: reads.customer_360(store, cid) for cid in ids}
    assert {cid: _comparable(w) for cid, w in wholes.items()} == {
        cid: _comparable(_parts(store, cid)) for cid in ids
    }
    # and the cases are all there: a household whose decision-maker has statements, one
    # with an ended membership, a profile in no household, no profile, no such customer
    a1 = wholes["crm:a1"]
    assert a1 is not None and a1.household is not None
    assert a1.household.decision_maker_id == "a1"
    assert len(a1.household.dm_consent.statements) == 3
    b1 = wholes["crm:b1"]
    assert b1 is not None and b1.household is not None
    assert sorted((m["profileId"], m["membership"]["status"]) for m in b1.members) == [
        ("a3", "current"),
        ("b1", "current"),
    ]
    statuses = {(m["profileId"], m["membership"]["status"]) for m in a1.members}
    assert ("a3", "ended") in statuses
    d1 = wholes["crm:d1"]
    assert d1 is not None and d1.profile is not None and d1.household is None
    z = wholes["web:z"]
    assert z is not None and z.profile is None and z.household is None
    assert wholes["crm:none"] is None
