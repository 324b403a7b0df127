"""Erasure of a person (`eraseProfile`, `idgraph erase`): every source record of the person
across their merged profiles, the identifier and asset nodes nobody else uses, interactions,
match edges, consent statements, labels, metric values and history, alerts and queued
webhook bodies; their households regrouped with fresh Group DNA; the match model's value
counts and the training labels without them; quarantine lines holding their values; the
store's files rewritten. A suppression list keeps a later load of an old file from bringing
them back, and the audit trail records the erasure without a value of theirs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.audit import record as audit
from app.errors import InputError
from app.households.dna import STATE
from app.ingestion.held import forget_all
from app.metrics.storage import PREFIX
from app.privacy.quarantine import quarantine_lines
from app.privacy.suppression import suppress
from app.settings import Settings
from app.store import GraphStore

REDACTED = "[erased]"
ACTION = "eraseProfile"


@dataclass
class Erasure:
    """What an erasure removed (counts only: the audit entry is this, and holds no value)."""

    profiles: int = 0
    records: int = 0
    interactions: int = 0
    consent_statements: int = 0
    identifiers: int = 0
    alerts: int = 0
    webhook_deliveries: int = 0
    audit_events_redacted: int = 0
    households_regrouped: list[str] = field(default_factory=list)
    households_deleted: int = 0
    model_values: int = 0
    labels: int = 0
    quarantine_lines: int = 0
    suppressed: int = 0
    store_compacted: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Person:
    profiles: list[str]  # the live profile first, then those merged into it
    customers: list[str]
    households: list[str]


def find_person(store: GraphStore, profile_id: str | None, customer_id: str | None) -> Person:
    """The person behind a profile id (a retired one leads to its successor) or a record."""
    from app.resolution.dial import follow

    if (profile_id is None) == (customer_id is None):
        raise InputError("name the person by exactly one of a profile id or a customerId")
    if customer_id is not None:
        row = store.read_one("profile_memberships_of", ids=[customer_id])
        if row is None:
            exists = store.read("api_customers", ids=[customer_id])
            if not exists:
                raise InputError(f"no customer record {customer_id}")
            return Person([], [customer_id], [])
        profile_id = str(row["profileId"])
    assert profile_id is not None
    live = follow(store, profile_id)
    if live is None:
        raise InputError(f"no profile {profile_id}")
    ids = [str(live["profileId"])]
    frontier = list(ids)
    while frontier:  # profiles merged into the person's, and into those, ...
        more = [str(r["profileId"]) for r in store.read("erasure_retired", ids=frontier)]
        frontier = [p for p in more if p not in ids]
        ids += frontier
    customers: set[str] = set()
    households: set[str] = set()
    for row in store.read("erasure_person", ids=ids):
        customers.update(str(c) for c in row["customers"] or [])
        households.update(str(h) for h in row["households"] or [])
    return Person(ids, sorted(customers), sorted(households))


def _identifiers(store: GraphStore, customers: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {
        k: set() for k in ("emails", "phones", "addresses", "devices", "accounts", "identifiers")
    }
    columns = {
        "email": "emails",
        "phone": "phones",
        "addressId": "addresses",
        "deviceId": "devices",
        "accountId": "accounts",
        "identifierId": "identifiers",
    }
    for row in store.read("erasure_identifiers", customers=list(customers)):
        for column, kind in columns.items():
            if row.get(column) is not None:
                found[kind].add(str(row[column]))
    return {k: sorted(v) for k, v in found.items()}


IDENTIFYING = ("customerId", "sourceKey", "email", "phone")


def person_values(records: Iterable[dict[str, Any]]) -> set[str]:
    """The values of the person's records that single them out (keys, e-mails, phones,
    declared identifiers), lower-cased: quarantine lines holding one go. Names, birth dates
    and streets are shared by other people and are not enough to tell a line is theirs."""
    out: set[str] = set()
    for r in records:
        for key, value in r.items():
            if (key in IDENTIFYING or key.startswith("id_")) and isinstance(value, str):
                v = value.strip().lower()
                if len(v) >= 5:
                    out.add(v)
    return out


def erase_person(
    store: GraphStore,
    settings: Settings,
    actor: str,
    reason: str,
    profile_id: str | None = None,
    customer_id: str | None = None,
) -> Erasure:
    """Erase the person (see the module docstring); one at a time per store."""
    started = time.perf_counter()
    if not reason.strip():
        raise InputError("an erasure needs a reason (a request reference; no personal data)")
    with store.lock("erasure", ttl_s=120, wait_s=120):
        out = _erase(store, settings, find_person(store, profile_id, customer_id))
    audit(store, actor, ACTION, reason.strip()[:2000], None, out.as_dict(), [], [])
    out.seconds = round(time.perf_counter() - started, 3)
    return out


def redact_audit(store: GraphStore, customers: list[str], profiles: list[str]) -> int:
    """Audit events about these records and profiles keep who did what and when, and lose
    their details and these ids; reads of their data kept as READ_PII relationships become
    such events first (they would go with the records). How many events were redacted."""
    redact = {"customers": customers, "profiles": profiles, "redacted": REDACTED, "at": _now()}
    n = 0
    for name in ("erasure_redact_reads", "erasure_redact_audit"):
        rows, _ = store.run_text(store.cypher(name), redact, write=True)
        n += int(rows[0]["n"]) if rows else 0
    return n


def _erase(store: GraphStore, settings: Settings, person: Person) -> Erasure:
    from app.households.events import profiles_changed

    out = Erasure()
    customers, profiles = person.customers, person.profiles
    records = [dict(r) for r in store.read("resolution_records_of", ids=customers)]
    values = person_values(
        dict(r["props"]) for r in store.read("erasure_records_of", ids=customers)
    )
    found = _identifiers(store, customers)
    # The model's value counts and the labels first: they are files, and a failure after
    # the graph changes would leave the person in them with no way to find them again.
    out.model_values = _model_counts(settings, records)
    out.labels = _labels(settings, set(customers), values)
    out.quarantine_lines = _quarantine(settings, values)
    forget_all(settings)  # the loads' key files name their records
    out.audit_events_redacted = redact_audit(store, customers, profiles)
    rows, _ = store.run_text(store.cypher("erasure_alerts"), {"profiles": profiles}, write=True)
    if rows:
        out.webhook_deliveries = int(rows[0]["deliveries"])
        out.alerts = int(rows[0]["alerts"])
    rows, _ = store.run_text(
        store.cypher("erasure_records"), {"customers": customers, "profiles": profiles}, write=True
    )
    if rows:
        out.interactions = int(rows[0]["interactions"])
        out.consent_statements = int(rows[0]["statements"])
        out.records = int(rows[0]["records"])
        out.profiles = int(rows[0]["profiles"])
    rows, _ = store.run_text(store.cypher("erasure_orphans"), found, write=True)
    out.identifiers = int(rows[0]["n"]) if rows else 0
    out.suppressed = suppress(store, settings, customers)
    # The households: the remaining members regrouped and their Group DNA recomputed.
    remaining = _remaining_members(store, person.households)
    if remaining:
        profiles_changed(store, settings, remaining)
    out.households_regrouped = person.households
    rows, _ = store.run_text(
        store.cypher("erasure_households"), {"ids": person.households}, write=True
    )
    if rows:
        out.households_deleted = int(rows[0]["deleted"])
        _strip_households(store, rows[0]["left"] or [])
    out.store_compacted = store.compact()
    return out


def _now() -> str:
    from app.resolution.placement import now_iso

    return now_iso()


def _remaining_members(store: GraphStore, households: Sequence[str]) -> list[str]:
    if not households:
        return []
    rows = store.read("household_members", ids=list(households))
    return sorted({str(r["profileId"]) for r in rows if r["membership"].get("status") == "current"})


def _strip_households(store: GraphStore, left: Sequence[dict[str, Any]]) -> None:
    """Households left with no current member: their address, decision-maker and Group DNA
    were the person's (or partly theirs); the node keeps its id, lineage and dates."""
    rows = []
    for props in left:
        kept = {
            k: v
            for k, v in props.items()
            if not k.startswith(PREFIX)
            and k not in ("addressId", "decisionMaker", "services", "dataUsageMonth", STATE)
        }
        kept["status"] = "dissolved"
        rows.append({"householdId": props["householdId"], "props": kept})
    if rows:
        store.write("household_replace_props", rows=rows)


# -- files ---------------------------------------------------------------------------------


def _model_counts(settings: Settings, records: list[dict[str, Any]]) -> int:
    """Take the person's records out of the match model's term-frequency counts (values as
    keys, counts as values): each of their values counts that many records fewer, and a
    value left on fewer records than the model lists drops out. The values too common to be
    evidence (held by more than ten records at training) count theirs fewer in the training
    report, and one left on ten or fewer drops out of the model: one person's records may
    have been all that held it (a version change; the next resolve scores again). Saved in
    place; the running server reloads a changed model file."""
    from app.errors import ConfigError
    from app.resolution.common import COMMON_MINIMUM, without_common
    from app.resolution.fields import derive
    from app.resolution.model import MatchModel
    from app.resolution.records import frame
    from app.resolution.unsupervised import TF_MINIMUM_COUNT

    path = settings.model_file
    if not path.exists() or not records:
        return 0
    try:
        model = MatchModel.load(path)
    except ConfigError:
        return 0  # not a model this version reads; retraining replaces it
    theirs = derive(frame(records))  # as written: the common values too
    cols = without_common(theirs, model.common)
    changed = 0
    for comp, spec in zip(model.comparisons, model.specs(), strict=True):
        table = model.term_frequencies.get(comp.name)
        if table is None or spec.tf is None or spec.tf not in cols:
            continue
        for value in cols[spec.tf]:
            if value is None:
                continue
            table.total = max(table.total - 1, 0)
            key = str(value)
            if key in table.counts:
                table.counts[key] -= 1
                changed += 1
                if table.counts[key] < TF_MINIMUM_COUNT:
                    del table.counts[key]
    held: dict[str, dict[str, int]] = model.report.get("commonValues") or {}
    for name, counts in held.items():
        for value in theirs.get(name, ()):
            if value is not None and str(value) in counts:
                counts[str(value)] -= 1
                changed += 1
        for key in [k for k, n in counts.items() if n <= COMMON_MINIMUM]:
            del counts[key]
    if held:
        model.report["commonValues"] = {k: v for k, v in held.items() if v}
        model.common = {k: frozenset(v) for k, v in held.items() if v}
    model.save(path)
    return changed


def _labels(settings: Settings, customers: set[str], values: set[str]) -> int:
    """Training label files without a pair that involves the person (by customerId, or a
    record pair holding one of their values)."""
    removed = 0
    for path in (settings.truth_labels_file, settings.labels_file):
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        for kind, pairs in list(data.items()):
            if not isinstance(pairs, list):
                continue
            kept = [p for p in pairs if not _involves(p, customers, values)]
            removed += len(pairs) - len(kept)
            data[kind] = kept
        _write_atomic(path, json.dumps(data, indent=1))
    return removed


def _involves(pair: Any, customers: set[str], values: set[str]) -> bool:
    items = pair if isinstance(pair, list) else [pair]
    for item in items:
        if isinstance(item, str) and item in customers:
            return True
        if isinstance(item, dict) and (
            item.get("customerId") in customers
            or any(isinstance(v, str) and v.strip() in values for v in item.values())
        ):
            return True
    return False


def _quarantine(settings: Settings, values: set[str]) -> int:
    """Quarantine lines (JSON Lines) that hold any of the person's values, removed."""
    folder = settings.quarantine_dir
    if not folder.is_dir() or not values:
        return 0
    removed = 0
    for path in sorted(folder.glob("*.jsonl")):
        lines = quarantine_lines(path)
        kept = [line for line in lines if not _holds(line, values)]
        if len(kept) != len(lines):
            removed += len(lines) - len(kept)
            _write_atomic(path, "".join(f"{line}\n" for line in kept))
    return removed


def _holds(line: str, values: set[str]) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return any(v in line.lower() for v in values)
    found: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            found.append(x.strip())

    walk(data)
    return any(f.lower() in values for f in found)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
