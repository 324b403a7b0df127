"""One interaction in real time: normalise it as ingestion would, upsert it, and recompute the
metrics of the one profile its record resolves to."""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.errors import BadValue, InputError
from app.ingestion.dates import timestamp1
from app.ingestion.normalize import clean1
from app.metrics import registry
from app.metrics.changes import MetricChange
from app.metrics.compute import now_utc, run
from app.metrics.storage import DATA
from app.settings import Settings
from app.store import GraphStore
from app.values import check_key, source_name


@dataclass
class EventResult:
    interaction_id: str
    customer_id: str
    profile_id: str | None  # None while the record resolves to no profile
    changes: list[MetricChange] = field(default_factory=list)
    milliseconds: float = 0.0


def _text(name: str, value: object, required: bool = False) -> str | None:
    text = clean1(value)
    if text is None and required:
        raise InputError(f"interaction refused: field {name} is empty")
    return text


def interaction_row(
    source: str,
    customer_key: str,
    type_: str,
    timestamp: str,
    channel: str | None = None,
    value: float | str | None = None,
    event_id: str | None = None,
    *,
    max_len: int = 512,
) -> dict[str, Any]:
    """The upsert_interactions row for one event, by the rules of prepare_interactions
    (keys checked by app/values.py, each at most max_len characters)."""
    for name, raw in (("customerKey", customer_key), ("type", type_)):
        _text(name, raw, True)
    try:
        src = source_name(source)
        key = check_key("customerKey", customer_key, max_len)
        event = check_key("eventId", event_id, max_len) if event_id and clean1(event_id) else None
    except BadValue as exc:
        raise InputError(f"interaction refused: field {exc}") from None
    kind = _text("type", type_, True)
    assert kind is not None
    occurred, ts, bad = timestamp1(timestamp, None)
    if bad or occurred is None:
        raise InputError(f"interaction refused: field timestamp: {timestamp!r} is not a date-time")
    number: float | None = None
    if value is not None and clean1(value) is not None:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InputError(f"interaction refused: field value: {value!r} is not a number")
    event = event or uuid.uuid4().hex
    chan = _text("channel", channel)
    props = {
        "source": src,
        "type": kind.lower().replace(" ", "_"),
        "channel": chan.lower() if chan else None,
        "occurredAt": occurred,
        "ts": ts,
        "value": number,
    }
    return {
        "interactionId": f"{src}:{event}",
        "customerId": f"{src}:{key}",
        "customerKey": key,
        "source": src,
        "props": props,
    }


def recompute_profile(
    store: GraphStore,
    settings: Settings,
    profile_id: str,
    now: datetime | None = None,
    cause: str = DATA,
) -> list[MetricChange]:
    """Recompute and store the metrics of one profile; the changes that made, with `cause`
    (app/metrics/storage.py)."""
    defs = registry.running(settings)
    return run(store, settings, defs, now or now_utc(), ids=[profile_id], cause=cause).changes


def record_interaction(
    store: GraphStore,
    settings: Settings,
    row: dict[str, Any],
    now: datetime | None = None,
) -> EventResult:
    """Upsert one interaction (a row from interaction_row) and recompute its profile."""
    started = time.perf_counter()
    for performer in store.read("interaction_performers", ids=[row["interactionId"]]):
        if performer["customerId"] != row["customerId"]:
            raise InputError(
                f"interaction refused: event {row['interactionId']!r} already belongs to "
                "another customer; an event ID belongs to one performer"
            )
    store.write("upsert_interactions", rows=[row])
    found = store.read_one("metrics_customer_profile", customerId=row["customerId"])
    result = EventResult(row["interactionId"], row["customerId"], None)
    if found:
        result.profile_id = str(found["profileId"])
        result.changes = recompute_profile(store, settings, result.profile_id, now)
    result.milliseconds = round((time.perf_counter() - started) * 1000, 2)
    return result
