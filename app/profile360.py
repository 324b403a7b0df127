"""What the 360 view of a profile adds to the profile itself: one timeline of the
interactions of all its records (filtered, paged, counted), the identifiers of all its records
merged, and its household role. The API's Profile fields and the 360 page call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.errors import InputError
from app.store import GraphStore


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    id: str
    ts: int  # epoch ms
    customer_id: str
    source: str | None
    type: str | None
    channel: str | None
    occurred_at: str | None
    value: float | None


@dataclass(frozen=True)
class TimelineFilter:
    types: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = None
    since_ms: int | None = None
    until_ms: int | None = None

    @classmethod
    def of(
        cls,
        types: Sequence[str] | None = None,
        channels: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> TimelineFilter:
        """From what a caller gives: type and channel names, ISO 8601 times (naive = UTC)."""
        return cls(
            tuple(t.lower() for t in types) if types else None,
            tuple(c.lower() for c in channels) if channels else None,
            epoch_ms("since", since),
            epoch_ms("until", until),
        )


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    total: int
    has_next: bool


def epoch_ms(name: str, value: str | None) -> int | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name}={value!r} is not an ISO 8601 date or time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def timeline(
    store: GraphStore,
    customer_ids: Sequence[str],
    where: TimelineFilter,
    size: int,
    after: tuple[int, str] | None = None,
) -> TimelinePage:
    """Interactions of all these records, newest first: `size` after the key `after`
    ((ts, interactionId) of the last one seen), and how many pass the filter in all."""
    if not customer_ids:
        return TimelinePage([], 0, False)
    row = store.read_one(
        "profile_timeline",
        ids=list(customer_ids),
        types=list(where.types) if where.types else None,
        channels=list(where.channels) if where.channels else None,
        since=where.since_ms,
        until=where.until_ms,
        afterTs=after[0] if after else None,
        afterId=after[1] if after else None,
        limit=size + 1,
    )
    rows: list[dict[str, Any]] = list(row["page"]) if row else []
    entries = [
        TimelineEntry(
            id=str(r["interactionId"]),
            ts=int(r.get("ts") or 0),
            customer_id=str(r["customerId"]),
            source=r.get("source"),
            type=r.get("type"),
            channel=r.get("channel"),
            occurred_at=r.get("occurredAt"),
            value=None if r.get("value") is None else float(r["value"]),
        )
        for r in rows[:size]
    ]
    return TimelinePage(entries, int(row["total"]) if row else 0, len(rows) > size)


@dataclass(frozen=True)
class HouseholdRole:
    household_id: str
    role: str | None
    reason: str | None


def household_role(store: GraphStore, profile_id: str) -> HouseholdRole | None:
    row = store.read_one("profile_household_role", profileId=profile_id)
    if row is None:
        return None
    return HouseholdRole(str(row["householdId"]), row.get("role"), row.get("reason"))


def merged[T](lists: Iterable[Iterable[T]], key: Any) -> list[T]:
    """Items of all the records' lists, each distinct key once (first seen), sorted by key:
    a profile's identifiers from every record behind it."""
    seen: dict[Any, T] = {}
    for items in lists:
        for item in items:
            seen.setdefault(key(item), item)
    return [seen[k] for k in sorted(seen)]


GOLDEN_FIELDS: tuple[tuple[str, str], ...] = (
    ("firstName", "first name"),
    ("lastName", "surname"),
    ("dateOfBirth", "birth date"),
    ("email", "e-mail"),
    ("phone", "phone"),
    ("street", "street"),
    ("city", "city"),
    ("postcode", "postcode"),
)


@dataclass(frozen=True)
class GoldenValue:
    field: str
    label: str
    value: Any
    sources: list[str]  # the sources of the records that hold this value
    records: list[str]  # those records' customerIds


def golden_sources(profile: dict[str, Any], records: Sequence[dict[str, Any]]) -> list[GoldenValue]:
    """Each golden attribute with the records it came from: those holding the same value
    (e-mails and phones from the records' identifier lists)."""

    def held(record: dict[str, Any], field: str) -> list[Any]:
        if field == "email":
            return [e.get("email") for e in record.get("emails") or []]
        if field == "phone":
            return [p.get("phone") for p in record.get("phones") or []]
        return [record.get(field)]

    out = []
    for field, label in GOLDEN_FIELDS:
        value = profile.get(field)
        if value is None:
            continue
        holders = [r for r in records if value in held(r, field)]
        sources = sorted({str(r.get("source")) for r in holders})
        out.append(GoldenValue(field, label, value, sources, [str(r.get("id")) for r in holders]))
    return out
