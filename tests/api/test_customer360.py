"""The customer 360 (bench/api.py's document: the customer, its identifiers and last
interactions, its profile with metrics, the profile's household with its members and their
profiles) answers from the graph as stored, in a fixed number of store reads: the customer
with its profile in one, the household with its decision-maker in one, its members with
their profiles in one."""

from __future__ import annotations

from collections import Counter

from app.households.resolve import resolve_households
from bench.api import QUERY

IN_A_HOUSEHOLD = """
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current' AND h.size >= 2
RETURN c.customerId AS id, h.householdId AS household ORDER BY id LIMIT 1
"""
MEMBERS = """
MATCH (p:Profile)-[m:MEMBER_OF]->(:Household {householdId: $h})
WHERE m.status = 'current'
RETURN p.profileId AS id, p.firstName AS firstName, p.lastName AS lastName, m.role AS role
"""


async def test_a_customer_360_answers_as_stored_in_eight_round_trips(fresh_resolved, resolved_gql):
    resolve_households(fresh_resolved.store.inner, fresh_resolved.settings)
    pick = fresh_resolved.rows(IN_A_HOUSEHOLD)[0]
    fresh_resolved.store.reset_counts()
    data = await resolved_gql.data(QUERY, id=pick["id"])
    household = data["customer"]["profile"]["household"]
    assert household["id"] == pick["household"]
    stored = {r["id"]: r for r in fresh_resolved.rows(MEMBERS, h=pick["household"])}
    assert {m["profileId"]: m["profile"] for m in household["members"]} == {
        pid: {"id": pid, "firstName": r["firstName"], "lastName": r["lastName"]}
        for pid, r in stored.items()
    }
    assert {m["profileId"]: m["role"] for m in household["members"]} == {
        pid: r["role"] for pid, r in stored.items()
    }
    assert Counter(fresh_resolved.store.queries) == Counter(
        {
            "access_key_get": 1,
            "api_customer_with_profile": 1,
            "api_customer_identifiers": 1,
            "api_customer_interactions": 1,
            "household_by_profiles": 1,
            "consent_of_profiles": 1,
            "api_household_members": 1,
        }
    )
    assert fresh_resolved.store.round_trips == 8  # the reads, and the audit of the PII read
