"""Plain records the API reads from the store and graphene types resolve from."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from app.ingestion.fields import ATTRIBUTE_PREFIX, IDENTIFIER_PREFIX

if TYPE_CHECKING:
    from app.resolution.dial import ProfileView


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: Any) -> float | None:
    """A finite number as float; anything else (null, NaN, text) as None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _strs(value: Any) -> list[str]:
    """A stored list property (or a single value, or null) as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [str(value)]


@dataclass(frozen=True, slots=True)
class AttributeRecord:
    name: str  # as the mapping names it (attributes: column -> name)
    value: str


@dataclass(frozen=True, slots=True)
class DeclaredIdentifierRecord:
    type: str  # as the mapping declares it (identifiers: type -> compare)
    value: str


def _prefixed(props: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
    """The record's properties under `prefix` as (name without it, value), by name."""
    return sorted(
        (key.removeprefix(prefix), str(value))
        for key, value in props.items()
        if key.startswith(prefix) and value is not None
    )


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
    attributes: tuple[AttributeRecord, ...] = ()
    identifiers: tuple[DeclaredIdentifierRecord, ...] = ()

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
            attributes=tuple(AttributeRecord(*p) for p in _prefixed(props, ATTRIBUTE_PREFIX)),
            identifiers=tuple(
                DeclaredIdentifierRecord(*p) for p in _prefixed(props, IDENTIFIER_PREFIX)
            ),
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
    attributes: Mapping[str, Any] = field(default_factory=dict)  # the account's, by name


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
        return cls(
            id=str(row["interactionId"]),
            ts=int(row.get("ts") or 0),
            type=_str(row.get("type")),
            channel=_str(row.get("channel")),
            occurred_at=_str(row.get("occurredAt")),
            value=_float(row.get("value")),
            device_id=_str(row.get("deviceId")),
            account_id=_str(row.get("accountId")),
        )


@dataclass(frozen=True, slots=True)
class Page[T]:
    """One page of a keyset-paginated list, and whether another page follows."""

    items: list[T]
    has_next: bool


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    """A stored profile (a resolved person), plus what a confidence dial saw of it.

    `customer_ids` / `materialised_ids` are None when no dial was asked for: the members are
    then the materialised ones, loaded in a batch when a query asks for them."""

    id: str
    status: str | None = None
    merged_into: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None
    email: str | None = None
    phone: str | None = None
    address_id: str | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    size: int | None = None
    sources: list[str] = field(default_factory=list)
    sparse: bool = False
    absorbed: list[str] = field(default_factory=list)
    split_from: list[str] = field(default_factory=list)
    created_at: str | None = None
    updated_at: str | None = None
    requested_id: str | None = None
    min_confidence: float | None = None
    applied_confidence: float | None = None
    dial_capped: bool = False
    customer_ids: list[str] | None = None
    materialised_ids: list[str] | None = None
    # Every stored property as read (Customer DNA among them), so that Profile.metrics needs
    # no second read of the same node; None for a record built otherwise.
    stored: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> ProfileRecord:
        size = props.get("size")
        return cls(
            id=str(props["profileId"]),
            status=_str(props.get("status")),
            merged_into=_str(props.get("mergedInto")),
            first_name=_str(props.get("firstName")),
            last_name=_str(props.get("lastName")),
            date_of_birth=_str(props.get("dateOfBirth")),
            email=_str(props.get("email")),
            phone=_str(props.get("phone")),
            address_id=_str(props.get("addressId")),
            street=_str(props.get("street")),
            city=_str(props.get("city")),
            postcode=_str(props.get("postcode")),
            size=int(size)
            if isinstance(size, int | float) and not isinstance(size, bool)
            else None,
            sources=sorted(_strs(props.get("sources"))),
            sparse=bool(props.get("sparse", False)),
            absorbed=sorted(_strs(props.get("absorbed"))),
            split_from=sorted(_strs(props.get("splitFrom"))),
            created_at=_str(props.get("createdAt")),
            updated_at=_str(props.get("updatedAt")),
            stored=props,
        )

    def seen_through(self, view: ProfileView) -> ProfileRecord:
        """This profile with the members a dial found; `requested_id` only when the id asked
        for was a retired one that led here."""
        return replace(
            self,
            requested_id=view.requested_id if view.requested_id != self.id else None,
            min_confidence=view.min_confidence,
            applied_confidence=view.applied_confidence,
            dial_capped=view.capped,
            customer_ids=list(view.customer_ids),
            materialised_ids=list(view.materialised_ids),
        )


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """A customer's RESOLVES_TO edge: its profile and how confidently it belongs there."""

    profile: ProfileRecord
    confidence: float | None


@dataclass(frozen=True, slots=True)
class FieldWeightRecord:
    field: str  # the model's name for the comparison (lastName, address, id_nationalId)
    label: str  # what a person calls it (surname, address, nationalId)
    level: str  # how the two records compare (same, sounds alike or swapped, different...)
    weight: float  # its push on the log-odds from a missing field (0)


def parse_explanation(raw: Any) -> tuple[list[FieldWeightRecord], float | None]:
    """The MATCHES edge's explanation (JSON: {"prior": x, "fields": [{field, label, level,
    weight}, ...]}) as field weights, strongest push first, and the prior. Unreadable text
    gives nothing rather than an error: an explanation is an aid, the match stands
    without it."""
    if not isinstance(raw, str):
        return [], None
    try:
        data = json.loads(raw)
    except ValueError:
        return [], None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        return [], None
    weights = []
    for item in data["fields"]:
        if not isinstance(item, dict) or (w := _float(item.get("weight"))) is None:
            continue
        name = str(item.get("field"))
        weights.append(
            FieldWeightRecord(name, str(item.get("label", name)), str(item.get("level", "")), w)
        )
    weights.sort(key=lambda fw: (-abs(fw.weight), fw.field))
    return weights, _float(data.get("prior"))


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A MATCHES edge: records `a` < `b` (by customerId, the stored direction) and the
    model's or a steward's verdict. `other` is set when it was reached from one customer."""

    a: str
    b: str
    probability: float | None = None
    status: str | None = None
    method: str | None = None
    model_version: str | None = None
    run_id: str | None = None
    updated_at: str | None = None
    explanation: list[FieldWeightRecord] = field(default_factory=list)
    intercept: float | None = None
    logit: float | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    other: str | None = None

    @classmethod
    def from_props(
        cls, a: str, b: str, props: Mapping[str, Any], other: str | None = None
    ) -> MatchRecord:
        weights, intercept = parse_explanation(props.get("explanation"))
        return cls(
            a=a,
            b=b,
            probability=_float(props.get("probability")),
            status=_str(props.get("status")),
            method=_str(props.get("method")),
            model_version=_str(props.get("modelVersion")),
            run_id=_str(props.get("runId")),
            updated_at=_str(props.get("updatedAt")),
            explanation=weights,
            intercept=intercept,
            logit=_float(props.get("logit")),
            decided_by=_str(props.get("decidedBy")),
            decided_at=_str(props.get("decidedAt")),
            reason=_str(props.get("reason")),
            other=other,
        )
