"""Survivorship: which record's value a shared or resolved entity keeps, by one order for
golden records (app/resolution/profiles.py) and shared Address nodes (app/ingestion/
addresses.py). Pure functions over plain records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Which record wins a field: the most recently updated, the most trusted source, or the
# most complete (longest) value. Address fields travel together.
SURVIVORSHIP: dict[str, str] = {
    "firstName": "most_complete",
    "lastName": "most_recent",
    "dateOfBirth": "most_trusted",
    "email": "most_recent",
    "phone": "most_recent",
    "address": "most_recent",
}
ADDRESS_FIELDS = ("addressId", "street", "city", "postcode")

Record = Mapping[str, object]


def ranked(
    members: Sequence[Record], rule: str, trust_order: Sequence[str], field: str
) -> list[Record]:
    """The members that have `field`, best first by `rule` (`trust_order`: sources from
    most to least trusted, settings.source_trust); ties keep the members' order."""
    trust = {s: i for i, s in enumerate(trust_order)}
    have = [m for m in members if m.get(field) is not None]

    def recent(m: Record) -> str:
        return str(m.get("updatedAt") or "")

    def trusted(m: Record) -> int:
        return trust.get(str(m.get("source")), len(trust))

    if rule == "most_recent":
        have.sort(key=trusted)
        have.sort(key=recent, reverse=True)
    elif rule == "most_trusted":
        have.sort(key=recent, reverse=True)
        have.sort(key=trusted)
    else:
        have.sort(key=recent, reverse=True)
        have.sort(key=lambda m: len(str(m.get(field))), reverse=True)
    return have


def golden1(members: Sequence[Record], trust_order: Sequence[str]) -> dict[str, object]:
    """The golden attributes of one profile's member records (profiles.golden, without
    pandas)."""
    out: dict[str, object] = {}
    for name, rule in SURVIVORSHIP.items():
        cols = list(ADDRESS_FIELDS) if name == "address" else [name]
        have = ranked(members, rule, trust_order, cols[0])
        for c in cols:
            # like groupby().first(): the first non-missing value of each column in that order
            out[c] = next((m[c] for m in have if m.get(c) is not None), None)
    return out
