"""Partial updates of one record: an upsert changes only the fields it carries, a field given
as null (or empty) is cleared, and every other field keeps its stored value. The stored record
is read back in canonical fields, the update laid over it, and the whole goes through the
one real-time flow (app/flows.py upsert), so it is normalised and resolved as any record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.ingestion.fields import ATTRIBUTE_PREFIX, CONSENT_FIELDS
from app.ingestion.rows import id_property
from app.store import GraphStore

# Canonical fields kept as Customer properties of the same name.
STORED_FIELDS: tuple[str, ...] = (
    "firstName",
    "middleName",
    "lastName",
    "dateOfBirth",
    "gender",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "marketingConsent",
    *CONSENT_FIELDS,
    "consentBasis",
    "updatedAt",
)
NAME_PARTS: tuple[str, ...] = ("firstName", "middleName", "lastName")
# Fields that identify a person (what matching compares); a record without any of them is
# evidence of nobody and stands alone.
IDENTIFYING: tuple[str, ...] = (
    "firstName",
    "middleName",
    "lastName",
    "fullName",
    "dateOfBirth",
    "email",
    "phone",
    "street",
    "postcode",
    "deviceId",
    "accountId",
)


def _canonical(value: Any) -> Any:
    """A stored value as a source would send it (consents are stored as booleans)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def stored_record(
    store: GraphStore, customer_id: str, identifier_types: Iterable[str] = ()
) -> dict[str, Any] | None:
    """The record as stored, in canonical fields (None if there is none, or only a stub made
    by an interaction)."""
    row = store.read_one("customer_record", customerId=customer_id)
    if row is None or row["props"].get("stub"):
        return None
    devices = [d for d in row["devices"] or [] if d is not None]
    accounts = [tuple(a) for a in row["accounts"] or [] if a is not None]
    return canonical(row["props"], devices, accounts, identifier_types)


def canonical(
    props: Mapping[str, Any],
    devices: Sequence[str] = (),
    accounts: Sequence[tuple[str, str | None]] = (),
    identifier_types: Iterable[str] = (),
) -> dict[str, Any]:
    """A stored Customer's properties (and its devices, latest first, and accounts with
    their roles) as the canonical fields a source would send, its declared identifiers by
    type and its attributes by property (`attr_<name>`, as a record carries them to
    app/resolution/realtime.py); normalising them again gives the same properties
    (tests/ingestion/test_partial.py)."""
    out = {f: _canonical(props.get(f)) for f in STORED_FIELDS}
    out["sourceKey"] = props.get("sourceKey")
    for t in identifier_types:
        out[t] = props.get(id_property(t))
    out.update({k: v for k, v in props.items() if k.startswith(ATTRIBUTE_PREFIX)})
    out["deviceId"] = devices[0] if devices else None
    out["accountId"], out["accountRole"] = accounts[0] if accounts else (None, None)
    return {k: v for k, v in out.items() if v is not None}


def overlay(stored: Mapping[str, Any] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The record after an update: the stored fields, then every field the update carries
    (None clears it). A full name given (or cleared) replaces the stored name parts the
    update does not give itself; an account cleared takes its role along. An attribute
    cleared stays, as None: the graph keeps an attribute a record does not give, so a
    cleared one must be written as cleared."""
    out = dict(stored or {})
    if "fullName" in given:
        for part in NAME_PARTS:
            if part not in given:
                out.pop(part, None)
    if "accountId" in given and "accountRole" not in given:
        out.pop("accountRole", None)
    out.update(given)
    return {k: v for k, v in out.items() if v is not None or k.startswith(ATTRIBUTE_PREFIX)}


def changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> tuple[dict, dict]:
    """The fields that differ, as (before, after) maps for the audit trail."""
    old = dict(before or {})
    keys = sorted(k for k in {*old, *after} if old.get(k) != after.get(k))
    return {k: old.get(k) for k in keys}, {k: after.get(k) for k in keys}
