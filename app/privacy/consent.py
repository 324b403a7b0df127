"""Consent as data: statements per purpose (marketing, profiling, sharing) and channel (email,
phone, SMS, post), each with its source, time and lawful basis, and the one rule that turns
a person's statements into a decision. Statements come from source records (their consent
fields, dated by the record's updatedAt) and from the API (`setConsent`, ConsentStatement
nodes kept on one of the person's records).

The rule: the latest explicit statement for the purpose and channel decides (a statement for
every channel counts for each); a refusal wins a tie, and a refusal whose time is unknown
always wins, since it cannot be shown to be superseded and contacting someone who said no
is the costlier mistake. No statement at all is no consent."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple

from app.audit import record as audit
from app.errors import InputError
from app.store import GraphStore
from app.store.base import Row

PURPOSES: tuple[str, ...] = ("marketing", "profiling", "sharing")
CHANNELS: tuple[str, ...] = ("email", "phone", "sms", "post")
ALL = "*"  # a statement for every channel
LEGAL_BASES: tuple[str, ...] = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)

# A record's consent fields: (purpose, channel) each states.
RECORD_FIELDS: dict[str, tuple[str, str]] = {
    "marketing": ("marketing", ALL),  # marketingConsent
    "email": ("marketing", "email"),
    "phone": ("marketing", "phone"),
    "sms": ("marketing", "sms"),
    "post": ("marketing", "post"),
    "profiling": ("profiling", ALL),
    "sharing": ("sharing", ALL),
}


class Statement(NamedTuple):
    """Immutable; a named tuple because the households batch reads millions of them (a
    frozen dataclass took 1.8 µs to make, a named tuple 0.4)."""

    purpose: str
    channel: str  # one of CHANNELS, or ALL
    granted: bool
    source: str  # the record it came from ("crm:123"), or "api" for setConsent
    at: str | None  # when the person said it (ISO 8601); None when unknown
    legal_basis: str | None = None
    recorded_by: str | None = None  # setConsent: who recorded it
    recorded_at: str | None = None
    customer_id: str | None = None  # the record it is kept on

    def covers(self, purpose: str, channel: str) -> bool:
        return self.purpose == purpose and self.channel in (channel, ALL)


class Decision(NamedTuple):
    purpose: str
    channel: str
    granted: bool | None  # None: nobody asked (no consent)
    statement: Statement | None  # the statement that decided

    @property
    def allowed(self) -> bool:
        return self.granted is True

    @property
    def reason(self) -> str | None:
        """Why it is not allowed, in words (None when allowed)."""
        if self.granted is True:
            return None
        if self.statement is None:
            return f"no {self.purpose} consent on record"
        return f"{self.purpose} consent refused in {self.statement.source}"


def decide(statements: Iterable[Statement], purpose: str, channel: str) -> Decision:
    """The rule (module docstring) for one purpose and channel."""
    applicable = [s for s in statements if s.covers(purpose, channel)]
    undated_refusals = [s for s in applicable if s.at is None and not s.granted]
    if undated_refusals:
        return Decision(purpose, channel, False, min(undated_refusals, key=_order))
    if not applicable:
        return Decision(purpose, channel, None, None)
    latest = max(applicable, key=lambda s: (s.at or "", not s.granted, _order(s)))
    return Decision(purpose, channel, latest.granted, latest)


def _order(s: Statement) -> tuple[str, str]:
    return (s.source, s.channel)


class Consent(NamedTuple):
    """A person's statements and every decision they give."""

    statements: tuple[Statement, ...]

    def decision(self, purpose: str, channel: str) -> Decision:
        return decide(self.statements, purpose, channel)

    def allows(self, purpose: str, channels: Iterable[str]) -> bool:
        """True when any of the channels is allowed (a phone number serves calls and SMS)."""
        return any(self.decision(purpose, c).allowed for c in channels)

    def marketing(self) -> tuple[bool | None, str | None]:
        """Marketing on any channel: (True, None) when one is allowed, else (False or None,
        why): the latest refusal's reason, or that nobody asked."""
        decisions = [self.decision("marketing", c) for c in CHANNELS]
        if any(d.allowed for d in decisions):
            return True, None
        refusals = [d for d in decisions if d.granted is False and d.statement is not None]
        if refusals:
            d = max(refusals, key=lambda d: d.statement.at or "" if d.statement else "")
            return False, d.reason
        return None, "no marketing consent on record"

    def decisions(self) -> list[Decision]:
        return [self.decision(p, c) for p in PURPOSES for c in CHANNELS]


NO_CONSENT = Consent(())


def statements_of_row(row: Mapping[str, Any]) -> list[Statement]:
    """A consent query's row (consent_of_profiles / consent_of_customers): the record's
    fields as statements dated by its updatedAt, plus the API's statements kept on it."""
    out = []
    cid = str(row["customerId"])
    for column, (purpose, channel) in RECORD_FIELDS.items():
        value = row.get(column)
        if isinstance(value, bool):
            out.append(
                Statement(
                    purpose,
                    channel,
                    value,
                    cid,
                    row.get("updatedAt"),
                    row.get("basis") or "consent",
                    None,
                    None,
                    cid,
                )
            )
    for s in row.get("statements") or []:
        out.append(
            Statement(
                str(s["purpose"]),
                str(s["channel"]),
                bool(s["granted"]),
                str(s.get("source") or "api"),
                s.get("at"),
                s.get("legalBasis"),
                s.get("recordedBy"),
                s.get("recordedAt"),
                cid,
            )
        )
    return out


def consent_by_subject(rows: Sequence[Row], ids: Sequence[str]) -> dict[str, Consent]:
    """Each of `ids`' consent from rows of consent_of_profiles or consent_of_customers."""
    per: defaultdict[str, list[Statement]] = defaultdict(list)
    for row in rows:
        per[str(row["subject"])].extend(statements_of_row(row))
    return {i: Consent(tuple(per.get(i, ()))) for i in ids}


def _read(store: GraphStore, query: str, ids: Sequence[str]) -> dict[str, Consent]:
    return consent_by_subject(store.read(query, ids=list(ids)), ids)


def consent_of_profiles(store: GraphStore, ids: Sequence[str]) -> dict[str, Consent]:
    return _read(store, "consent_of_profiles", ids)


def consent_of_customers(store: GraphStore, ids: Sequence[str]) -> dict[str, Consent]:
    return _read(store, "consent_of_customers", ids)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _iso(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"at: {value!r} is not an ISO 8601 date-time") from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed.isoformat(timespec="seconds")


def record_statement(
    store: GraphStore,
    customer_id: str,
    purpose: str,
    channel: str | None,
    granted: bool,
    legal_basis: str,
    recorded_by: str,
    at: str | None = None,
    source: str | None = None,
) -> Statement:
    """Keep a statement the person made to the business (a call, a form) on one of their
    records: it then follows the record through merges and splits."""
    if purpose not in PURPOSES:
        raise InputError(f"purpose {purpose!r}: use one of {', '.join(PURPOSES)}")
    ch = channel or ALL
    if ch not in (*CHANNELS, ALL):
        raise InputError(f"channel {channel!r}: use one of {', '.join(CHANNELS)} (or none: all)")
    if legal_basis not in LEGAL_BASES:
        raise InputError(f"legal basis {legal_basis!r}: use one of {', '.join(LEGAL_BASES)}")
    when = _iso(at) or now_iso()
    recorded = now_iso()
    src = (source or "api").strip()[:200] or "api"
    props = {
        "purpose": purpose,
        "channel": ch,
        "granted": granted,
        "at": when,
        "source": src,
        "legalBasis": legal_basis,
        "recordedBy": recorded_by,
        "recordedAt": recorded,
    }
    rows, _ = store.run_text(
        store.cypher("consent_record"),
        {"customerId": customer_id, "statementId": f"CS-{uuid.uuid4().hex[:16]}", "props": props},
        write=True,
    )
    if not rows:
        raise InputError(f"no customer record {customer_id}")
    audit(store, recorded_by, "setConsent", "", None, props, [customer_id])
    return Statement(
        purpose, ch, granted, src, when, legal_basis, recorded_by, recorded, customer_id
    )


BOOLEAN_TEXTS = {"true": True, "false": False, None: None}


def stated_rows(store: GraphStore) -> list[Row]:
    """Every record that states something, as consent_of_profiles' rows (its consent fields,
    and its statements recorded over the API), for every profile at once: the records with
    a consent field in one scan whose answer is all texts (consent_fields_all: at a million
    records 458,839 rows, which the typed read decoded at ~40 µs a row), and the statements
    walked from their own edges (consent_statements_all), each added to its record's row.
    Records with statements and no consent field get a row of their own, as in
    consent_of_profiles."""
    fields = store.read_texts(store.cypher("consent_fields_all"))
    rows: dict[tuple[str, str], Row] = {}  # (profile, record): a record's row
    if fields:
        names = list(fields)
        for values in zip(*fields.values(), strict=True):
            row = dict(zip(names, values, strict=True))
            for column in RECORD_FIELDS:
                row[column] = BOOLEAN_TEXTS[row[column]]
            row["statements"] = []
            rows[(str(row["subject"]), str(row["customerId"]))] = row
    for found in store.read("consent_statements_all"):
        statement = found.pop("statement")
        key = (str(found["subject"]), str(found["customerId"]))
        row = rows.setdefault(key, {**found, "statements": []})
        row["statements"].append(statement)
    return list(rows.values())


def golden_marketing(
    store: GraphStore,
    profile_ids: Sequence[str],
    batch: int = 2000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Write Profile.marketingConsent (True: some channel allowed; False: refused; None:
    nobody asked) for these profiles, by the rule above, where it differs from what they
    hold; returns how many were written. The marketing query's contactableOnly filters on it
    and re-checks live.

    The households batch calls this for every active profile, so it reads the whole graph
    once: the records that state something (stated_rows) and the profiles that hold a
    golden consent (consent_golden_held). A profile in neither has none and keeps none; its
    records add no statement, as in consent_of_profiles' rows."""
    ids = list(profile_ids)
    wanted = set(ids)
    stated, golden = store.in_parallel(
        [partial(stated_rows, store), partial(store.read, "consent_golden_held")]
    )
    found = consent_by_subject([r for r in stated if r["subject"] in wanted], sorted(wanted))
    held = {r["profileId"]: r["consent"] for r in golden if r["profileId"] in wanted}
    n = 0

    def changed() -> Iterator[Row]:
        """Only the profiles whose golden consent changed; worked out while the store writes
        the batch before."""
        nonlocal n
        for start in range(0, len(ids), batch):
            part = ids[start : start + batch]
            for p in part:
                if (consent := found[p].marketing()[0]) != held.get(p):
                    n += 1
                    yield {"profileId": p, "consent": consent}
            if on_batch:
                on_batch(len(part))

    store.write_batches("consent_set_golden", changed(), batch)
    return n
