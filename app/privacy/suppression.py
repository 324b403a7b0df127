"""The suppression list: keyed hashes (app/access/secret.py) of erased records' customerIds.
A later load of an old file, a real-time record or an event for one of them is not loaded,
so an erased person does not come back. The list holds no value a person could be found by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.access.secret import keyed_hash
from app.errors import InputError
from app.settings import Settings
from app.store import GraphStore


class Suppressed(InputError):
    """A record or event of an erased person."""


def suppress(store: GraphStore, settings: Settings, customer_ids: Iterable[str]) -> int:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [{"keyHash": keyed_hash(settings, c), "at": at} for c in sorted(set(customer_ids))]
    if rows:
        store.write("suppression_add", rows=rows)
    return len(rows)


@dataclass(frozen=True)
class SuppressionList:
    hashes: frozenset[str]
    settings: Settings

    @classmethod
    def read(cls, store: GraphStore, settings: Settings) -> SuppressionList:
        return cls(frozenset(str(r["keyHash"]) for r in store.read("suppression_all")), settings)

    def __contains__(self, customer_id: object) -> bool:
        return bool(self.hashes) and keyed_hash(self.settings, str(customer_id)) in self.hashes


def refuse_if_erased(store: GraphStore, settings: Settings, customer_id: str) -> None:
    """One record or event in real time: Suppressed when its record was erased."""
    if store.read("suppression_check", hashes=[keyed_hash(settings, customer_id)]):
        raise Suppressed(
            f"record {customer_id} belongs to a person who was erased; it is not loaded"
        )


def drop_suppressed(writes: dict[str, list[dict[str, Any]]], erased: SuppressionList) -> int:
    """Remove from a load's prepared writes every row of an erased record (and of its
    interactions, and the accounts only they carry); the number of records and events
    dropped. Rows are changed in place."""
    if not erased.hashes:
        return 0
    verdict: dict[str, bool] = {}

    def gone(cid: Any) -> bool:
        if cid not in verdict:
            verdict[cid] = cid in erased
        return verdict[cid]

    dropped_interactions: set[str] = set()
    for row in writes.get("upsert_interactions", []):
        if gone(row["customerId"]):
            dropped_interactions.add(str(row["interactionId"]))
    dropped_accounts: set[str] = set()
    kept_accounts: set[str] = set()
    for name in ("link_accounts", "link_interaction_accounts"):
        for row in writes.get(name, []):
            out = (
                gone(row["customerId"])
                if "customerId" in row
                else row.get("interactionId") in dropped_interactions
            )
            (dropped_accounts if out else kept_accounts).add(str(row["accountId"]))
    n = 0
    for name, rows in writes.items():
        kept = []
        for row in rows:
            if "customerId" in row:
                out = gone(row["customerId"])
            elif "interactionId" in row:
                out = row["interactionId"] in dropped_interactions
            elif name == "set_account_attributes":
                out = row["accountId"] in dropped_accounts - kept_accounts
            else:
                out = False
            if not out:
                kept.append(row)
            elif name in ("upsert_customers", "upsert_interactions"):
                n += 1
        rows[:] = kept
    return n
