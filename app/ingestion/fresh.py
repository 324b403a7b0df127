"""Write only what changed, in the cheapest form: records and events the graph does not have
yet go in with CREATE, one statement per row for the node and all its edges, instead of a
MERGE per node and per edge; the rest keep the upsert queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

Row = dict[str, Any]

# The queries whose rows belong to one record (by customerId) or one event (interactionId).
CUSTOMER_WRITES: tuple[str, ...] = (
    "upsert_customers",
    "unlink_stale_identifiers",
    "link_emails",
    "link_phones",
    "link_addresses",
    "link_devices",
    "link_accounts",
    "link_identifiers",
)
INTERACTION_WRITES: tuple[str, ...] = (
    "upsert_interactions",
    "link_interaction_devices",
    "link_interaction_accounts",
)


def _by(rows: list[Row], key: str) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return out


def _present(props: dict[str, Any]) -> dict[str, Any]:
    # On a new node a null sets nothing: left out, the query text is a third shorter.
    return {k: v for k, v in props.items() if v is not None}


def new_customer_rows(writes: dict[str, list[Row]], new: Collection[str]) -> list[Row]:
    """create_customers rows for the records in `new`, from a chunk's upsert writes."""
    links = {name: _by(writes.get(name, []), "customerId") for name in CUSTOMER_WRITES[2:]}
    out = []
    for r in writes.get("upsert_customers", []):
        c = r["customerId"]
        if c not in new:
            continue
        out.append(
            {
                "customerId": c,
                "props": _present(r["props"]),
                "emails": [x["email"] for x in links["link_emails"].get(c, [])],
                "phones": [x["phone"] for x in links["link_phones"].get(c, [])],
                "addresses": [
                    {"addressId": x["addressId"], "props": x["props"]}
                    for x in links["link_addresses"].get(c, [])
                ],
                "devices": [
                    {"deviceId": x["deviceId"], "seen": x["seen"]}
                    for x in links["link_devices"].get(c, [])
                ],
                "accounts": [
                    {"accountId": x["accountId"], "role": x["role"]}
                    for x in links["link_accounts"].get(c, [])
                ],
                "identifiers": [
                    {k: x[k] for k in ("identifierId", "type", "value")}
                    for x in links["link_identifiers"].get(c, [])
                ],
            }
        )
    return out


def new_interaction_rows(writes: dict[str, list[Row]], new: Collection[str]) -> list[Row]:
    """create_interactions rows for the events in `new`, from a chunk's upsert writes."""
    devices = _by(writes.get("link_interaction_devices", []), "interactionId")
    accounts = _by(writes.get("link_interaction_accounts", []), "interactionId")
    return [
        {
            **r,
            "props": _present(r["props"]),
            "devices": [x["deviceId"] for x in devices.get(r["interactionId"], [])],
            "accounts": [x["accountId"] for x in accounts.get(r["interactionId"], [])],
        }
        for r in writes.get("upsert_interactions", [])
        if r["interactionId"] in new
    ]


def split_writes(writes: dict[str, list[Row]], existing: Collection[str]) -> dict[str, list[Row]]:
    """A chunk's writes with every record or event not in `existing` (the keys the graph
    has) moved into one create_customers / create_interactions row; the others keep their
    upsert queries. Same graph as writing `writes` as they are."""
    if "upsert_customers" in writes:
        kind, key, names = "create_customers", "customerId", CUSTOMER_WRITES
        rows = writes["upsert_customers"]
    else:
        kind, key, names = "create_interactions", "interactionId", INTERACTION_WRITES
        rows = writes.get("upsert_interactions", [])
    new = {r[key] for r in rows} - set(existing)
    if not new:
        return writes
    build = new_customer_rows if kind == "create_customers" else new_interaction_rows
    out: dict[str, list[Row]] = {kind: build(writes, new)}
    for name, batch in writes.items():
        out[name] = [r for r in batch if r.get(key) not in new] if name in names else batch
    return out


def key_read(writes: dict[str, list[Row]]) -> tuple[str, str, list[str]]:
    """The read that tells which of a chunk's keys the graph has: query, key, the keys."""
    if "upsert_customers" in writes:
        return (
            "customers_existing",
            "customerId",
            [r["customerId"] for r in writes["upsert_customers"]],
        )
    ids = [r["interactionId"] for r in writes.get("upsert_interactions", [])]
    return "interactions_existing", "interactionId", ids
