"""Plain records the API reads from the store and graphene types resolve from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    id: str
    source: str | None = None
    source_key: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None
    gender: str | None = None
    updated_at: str | None = None
    stub: bool = False

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> CustomerRecord:
        return cls(
            id=str(props["customerId"]),
            source=_str(props.get("source")),
            source_key=_str(props.get("sourceKey")),
            first_name=_str(props.get("firstName")),
            last_name=_str(props.get("lastName")),
            date_of_birth=_str(props.get("dateOfBirth")),
            gender=_str(props.get("gender")),
            updated_at=_str(props.get("updatedAt")),
            stub=bool(props.get("stub", False)),
        )


@dataclass(frozen=True, slots=True)
class EmailRecord:
    email: str


@dataclass(frozen=True, slots=True)
class PhoneRecord:
    phone: str


@dataclass(frozen=True, slots=True)
class AddressRecord:
    address_id: str
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> AddressRecord:
        return cls(
            address_id=str(props["addressId"]),
            street=_str(props.get("street")),
            city=_str(props.get("city")),
            postcode=_str(props.get("postcode")),
            country=_str(props.get("country")),
        )


@dataclass(frozen=True, slots=True)
class Identifiers:
    emails: list[EmailRecord] = field(default_factory=list)
    phones: list[PhoneRecord] = field(default_factory=list)
    addresses: list[AddressRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AccountHolding:
    account_id: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceUse:
    device_id: str
    first_seen: str | None = None
    last_seen: str | None = None


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    id: str
    ts: int
    type: str | None = None
    channel: str | None = None
    occurred_at: str | None = None
    value: float | None = None
    device_id: str | None = None
    account_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> InteractionRecord:
        value = row.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = None if math.isnan(value) else float(value)
        else:
            value = None
        return cls(
            id=str(row["interactionId"]),
            ts=int(row.get("ts") or 0),
            type=_str(row.get("type")),
            channel=_str(row.get("channel")),
            occurred_at=_str(row.get("occurredAt")),
            value=value,
            device_id=_str(row.get("deviceId")),
            account_id=_str(row.get("accountId")),
        )


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a keyset-paginated list, and whether another page follows."""

    items: list[T]
    has_next: bool
