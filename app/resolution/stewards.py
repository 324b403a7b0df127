"""Steward decisions on pairs: persisted on the MATCHES edge (which re-runs respect),
audited, and appended to the training labels so the next `idgraph train` learns from them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Literal

import pandas as pd

from app.errors import InputError
from app.resolution.model import Labels, model_records
from app.settings import Settings
from app.store import GraphStore

Decision = Literal["confirmed", "rejected"]


def decide(
    store: GraphStore,
    settings: Settings,
    a: str,
    b: str,
    status: Decision,
    actor: str,
    reason: str,
) -> dict[str, object]:
    """Confirm or reject that records a and b are the same person."""
    if not reason.strip():
        raise InputError("a steward decision needs a reason")
    if a == b:
        raise InputError("a record cannot be matched with itself")
    a, b = sorted((a, b))
    rows = store.read("customer_model_fields", ids=[a, b])
    if len(rows) != 2:
        found = {r["customerId"] for r in rows}
        raise InputError(f"no customer record {', '.join(x for x in (a, b) if x not in found)}")
    before = store.read_one("match_edge", a=a, b=b)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store.write("set_match_decision", a=a, b=b, status=status, actor=actor, at=at, reason=reason)
    after = {"status": status, "method": "steward"}
    store.write(
        "record_audit",
        auditId=f"AU-{uuid.uuid4().hex[:16]}",
        at=at,
        actor=actor,
        action="confirmMatch" if status == "confirmed" else "rejectMatch",
        reason=reason,
        before=json.dumps(before),
        after=json.dumps(after),
        customerIds=[a, b],
    )
    _append_label(settings, rows, status)
    return {"a": a, "b": b, **after, "before": before}


def _append_label(settings: Settings, rows: list[dict[str, object]], status: Decision) -> None:
    path = settings.labels_file
    labels = Labels.load(path) if path.exists() else Labels()
    left, right = model_records(pd.DataFrame(rows).set_index("customerId"))
    (labels.match if status == "confirmed" else labels.distinct).append((left, right))
    labels.save(path)
