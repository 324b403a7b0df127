"""The customer 360 (bench/api.py's document: the customer, its identifiers and last
interactions, its profile with metrics, the profile's household with its members and their
profiles) answers from the graph as stored, in a fixed number of store reads: the customer
with its identifiers, profile, household (its decision-maker's consent with it) and members
in one, its interactions in one."""

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


async def test_a_customer_360_answers_as_stored_in_four_round_trips(fresh_resolved, resolved_gql):
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
            "api_customer_360": 1,
            "api_customer_interactions": 1,
        }
    )
    assert fresh_resolved.store.round_trips == 4  # the reads, and the audit of the PII read


WHOLE = """
  id firstName emails { email } phones { phone } addresses { addressId street city postcode }
  interactions(first: 3) { edges { node { id } } pageInfo { hasNextPage } }
  profileConfidence
  profile {
    id firstName lastName size
    household {
      id size status addressId evidenceKinds decisionMakerId contactWithheldReason
      decisionMakerContact { profileId firstName lastName email phone street city postcode }
      members(includeEnded: true) {
        profileId status role reason evidence confidence since until endReason
        profile { id firstName lastName email }
      }
    }
  }
"""
LOOKED_AHEAD = "query($id: ID!) { customer(id: $id) {" + WHOLE + "} }"
# The same fields behind a fragment: the look-ahead does not look into fragments, so each
# part comes from its own read.
PART_BY_PART = (
    "query($id: ID!) { customer(id: $id) { ...C } } fragment C on Customer {" + WHOLE + "}"
)
SOME = """
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current'
RETURN c.customerId AS id, h.size AS size ORDER BY h.size DESC, id LIMIT 30
"""


async def test_the_one_read_answers_as_the_reads_part_by_part(fresh_resolved, resolved_gql):
    """The look-ahead's one read primes each resolver's loader with what its own read
    gives: the same answer, field for field, as the document without the look-ahead."""
    resolve_households(fresh_resolved.store.inner, fresh_resolved.settings)
    picked = fresh_resolved.rows(SOME)
    assert picked[0]["size"] >= 2
    contacts = set()
    for cid in [r["id"] for r in picked] + ["crm:no-such-record"]:
        fresh_resolved.store.reset_counts()
        ahead = await resolved_gql.data(LOOKED_AHEAD, id=cid)
        assert "api_customer_360" in fresh_resolved.store.queries
        fresh_resolved.store.reset_counts()
        parts = await resolved_gql.data(PART_BY_PART, id=cid)
        assert "api_customer_360" not in fresh_resolved.store.queries
        assert ahead == parts
        if ahead["customer"] is not None:
            household = ahead["customer"]["profile"]["household"]
            contacts.add(household["decisionMakerContact"] is not None)
    assert contacts == {True, False}  # contacts given and withheld, both compared
