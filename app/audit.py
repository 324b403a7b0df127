"""The audit trail: who changed what, when and why, with the state before and after. Every
change made through the API or the CLI writes one AuditEvent here, and every unmasked read
of personal data one read (READ_PII relationships from the reader to what was read);
GraphQL `auditTrail`, `idgraph audit` and the pages read both through `trail`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from app.access import policy
from app.access.masking import mask
from app.errors import InputError
from app.store import GraphStore

MAX_PAGE = 100
# The action of a read that returned personal data unmasked (docs/security.md).
READ_PII = "readPII"


def _now() -> datetime:
    return datetime.now(UTC)


def record(
    store: GraphStore,
    actor: str,
    action: str,
    reason: str,
    before: object,
    after: object,
    customer_ids: Sequence[str] = (),
    profile_ids: Sequence[str] = (),
    other_ids: Sequence[str] = (),
) -> str:
    """Write one audit event; its auditId. It lists every entity it is about in entityIds
    (records, profiles, and things without a node of their own such as "metric:spend90d").
    An AuditEvent node that CONCERNS the records and profiles named (erasure follows those
    edges); a read of personal data (READ_PII) is a relationship from the reader's Actor
    node to each record and profile read instead (cypher/record_read.cypher says why)."""
    if not actor or not actor.strip():
        raise InputError("actor: every change names who makes it; it is empty")
    now = _now()
    audit_id = f"AU-{uuid.uuid4().hex[:16]}"
    store.write(
        "record_read" if action == READ_PII else "record_audit",
        auditId=audit_id,
        at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        atUs=int(now.timestamp() * 1_000_000),
        actor=actor,
        action=action,
        reason=reason,
        before=json.dumps(before, default=str, sort_keys=True),
        after=json.dumps(after, default=str, sort_keys=True),
        customerIds=list(customer_ids),
        profileIds=list(profile_ids),
        entityIds=list(dict.fromkeys([*customer_ids, *profile_ids, *other_ids])),
    )
    return audit_id


@dataclass(frozen=True)
class AuditEvent:
    audit_id: str
    at: str
    at_us: int  # microseconds since the epoch: the trail's order and cursor
    actor: str
    action: str
    entity_ids: list[str]
    reason: str | None
    before: str | None  # JSON text
    after: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AuditEvent:
        return cls(
            audit_id=str(row["auditId"]),
            at=str(row["at"]),
            at_us=int(row["atUs"] or 0),
            actor=str(row["actor"]),
            action=str(row["action"]),
            entity_ids=[str(x) for x in row["entityIds"] or []],
            reason=None if row["reason"] is None else str(row["reason"]),
            before=None if row["before"] is None else str(row["before"]),
            after=None if row["after"] is None else str(row["after"]),
        )

    def masked(self) -> AuditEvent:
        """This event as a caller without PII rights sees it: personal values in before and
        after masked by their kind (app/access/policy.py AUDIT_PII_KEYS)."""
        return replace(self, before=mask_json(self.before), after=mask_json(self.after))


def mask_json(text: str | None) -> str | None:
    """JSON text with the values of personal-data keys masked, at any depth; text that is no
    JSON is masked whole (it could hold anything)."""
    if text is None:
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return mask(policy.ANY, text)
    return json.dumps(mask_values(doc), sort_keys=True)


def mask_values(doc: Any, kind: str | None = None) -> Any:
    if isinstance(doc, dict):
        return {k: mask_values(v, policy.audit_pii_kind(str(k)) or kind) for k, v in doc.items()}
    if isinstance(doc, list):
        return [mask_values(v, kind) for v in doc]
    return doc if kind is None or doc is None else mask(kind, str(doc))


@dataclass(frozen=True)
class TrailFilter:
    entity_id: str | None = None
    actor: str | None = None
    since: str | None = None  # ISO 8601 date or date-time; naive means UTC
    actions: tuple[str, ...] | None = None  # any of these actions

    def since_us(self) -> int | None:
        if self.since is None:
            return None
        text = self.since.strip()
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"since: {self.since!r} is not an ISO 8601 date or date-time "
                "(e.g. 2026-12-01 or 2026-12-01T09:30:00Z)"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return int(when.timestamp() * 1_000_000)


@dataclass(frozen=True)
class TrailPage:
    events: list[AuditEvent]
    has_next: bool
    total: int  # every event the filter selects


def entity_ids(store: GraphStore, entity_id: str) -> list[str]:
    """The entity and, for a profile, the records it holds now: a person's trail includes
    the decisions about their records."""
    rows = store.read("api_profile_members", ids=[entity_id])
    return list(dict.fromkeys([entity_id, *sorted(str(r["customerId"]) for r in rows)]))


def trail(
    store: GraphStore,
    where: TrailFilter,
    first: int = 20,
    after: tuple[int, str] | None = None,
) -> TrailPage:
    """Audit events, newest first, after the event (atUs, auditId) that ended the previous
    page; with the total the filter selects."""
    if first < 0:
        raise InputError(f"first must be 0 or more, not {first}")
    size = min(first, MAX_PAGE)
    ids = entity_ids(store, where.entity_id) if where.entity_id else None
    params = {
        "ids": ids,
        "actor": where.actor,
        "actions": list(where.actions) if where.actions else None,
        "since": where.since_us(),
    }
    after_us, after_id = after if after else (None, None)
    page = {**params, "afterUs": after_us, "afterId": after_id, "limit": size + 1}
    # Events kept as nodes and reads kept as relationships, each paged alike: the newest
    # size + 1 of the two together are among the newest size + 1 of each.
    nodes, reads, counted, counted_reads = store.read_many(
        [
            ("audit_trail", page),
            ("audit_trail_reads", page),
            ("audit_count", params),
            ("audit_count_reads", params),
        ]
    )
    events = sorted(
        (AuditEvent.from_row(r) for r in [*nodes, *reads]),
        key=lambda e: (e.at_us, e.audit_id),
        reverse=True,
    )[: size + 1]
    total = sum(int(rows[0]["n"]) if rows else 0 for rows in (counted, counted_reads))
    return TrailPage(events[:size], len(events) > size, total)
