"""Data playback: everything the business holds about a person and what it derived from it,
as one JSON document (the `self` scope's own data, and the export for a subject-access
request) and as a readable page. Profile and golden attributes, every source record with its
identifiers, accounts, devices and interactions, consent statements and decisions, Customer
DNA metrics with history, the household (its Group DNA, the person's role; no other member's
personal data), alerts about the person, and who read their personal data when."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from app.accounts import attributes_of
from app.errors import InputError
from app.metrics import registry
from app.metrics.storage import Stored
from app.privacy.consent import consent_of_profiles
from app.settings import Settings
from app.store import GraphStore

FORMAT = "identity-graph/subject-access/1"
# The newest reads of the person's data listed (each of the two reads below keeps as many).
READS_SHOWN = 1000
_GOLDEN = (
    "firstName",
    "lastName",
    "dateOfBirth",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "addressId",
    "sources",
    "size",
    "createdAt",
    "updatedAt",
)
# Internal flags and fingerprints; bk* (blocking keys) are derived, listed apart.
_RECORD_HIDDEN = ("stub", "rowHash", "blockHash")


def profile_of_customer(store: GraphStore, customer_id: str) -> str:
    row = store.read_one("profile_memberships_of", ids=[customer_id])
    if row is None:
        raise InputError(f"no profile for record {customer_id}")
    return str(row["profileId"])


def playback(store: GraphStore, settings: Settings, profile_id: str) -> dict[str, Any]:
    """The person's data as a JSON-ready document."""
    from app.resolution.dial import follow

    live = follow(store, profile_id)
    if live is None:
        raise InputError(f"no profile {profile_id}")
    pid = str(live["profileId"])
    props = (store.read_one("metrics_profile_props", ids=[pid]) or {}).get("props") or {}
    members = sorted(str(r["customerId"]) for r in store.read("api_profile_members", ids=[pid]))
    records = {
        str(r["customer"]["customerId"]): dict(r["customer"])
        for r in store.read("api_customers", ids=members)
    }
    idents = {str(r["customerId"]): r for r in store.read("api_customer_identifiers", ids=members)}
    accounts: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in store.read("api_customer_accounts", ids=members):
        accounts[str(r["customerId"])].append(
            {
                "accountId": r["accountId"],
                "role": r["role"],
                "attributes": attributes_of(r["attributes"]),
            }
        )
    devices: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in store.read("api_customer_devices", ids=members):
        devices[str(r["customerId"])].append(
            {"deviceId": r["deviceId"], "firstSeen": r["firstSeen"], "lastSeen": r["lastSeen"]}
        )
    events: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in store.read("playback_interactions", ids=members):
        events[str(r["customerId"])].append(
            {k: r[k] for k in ("interactionId", "type", "channel", "occurredAt", "value")}
        )
    sources = []
    for cid in members:
        rec = records.get(cid, {})
        fields = {
            k: v
            for k, v in sorted(rec.items())
            if k not in _RECORD_HIDDEN and not k.startswith("bk")
        }
        found = idents.get(cid) or {}
        sources.append(
            {
                "customerId": cid,
                "fields": fields,
                "emails": sorted(set(found.get("emails") or [])),
                "phones": sorted(set(found.get("phones") or [])),
                "addresses": sorted(
                    (dict(a) for a in found.get("addresses") or []),
                    key=lambda a: str(a.get("addressId")),
                ),
                "accounts": sorted(accounts[cid], key=lambda a: str(a["accountId"])),
                "devices": sorted(devices[cid], key=lambda d: str(d["deviceId"])),
                "interactions": sorted(events[cid], key=lambda e: str(e["occurredAt"])),
                "derivedForMatching": sorted(k for k in rec if k.startswith("bk")),
            }
        )
    consent = consent_of_profiles(store, [pid])[pid]
    metrics = []
    for d in registry.running(settings):
        s = Stored.of(d.name, props)
        if s.value is None and not s.values:
            continue
        metrics.append(
            {
                "name": d.name,
                "description": d.description or None,
                "value": s.value,
                "history": [{"at": t, "value": v} for t, v in zip(s.times, s.values, strict=False)],
            }
        )
    household = _household(store, pid)
    alerts = [
        {
            k: r["alert"].get(k)
            for k in ("alertId", "rule", "metric", "value", "message", "firedAt", "status")
        }
        for r in store.read("playback_alerts", profileId=pid)
    ]
    # Reads kept as AuditEvent nodes and as READ_PII relationships (app/audit.py).
    asked = {"profileId": pid, "customers": members, "limit": READS_SHOWN}
    kept = store.read_many([("playback_reads", asked), ("playback_read_edges", asked)])
    newest = sorted((r for rows in kept for r in rows), key=lambda r: r["atUs"] or 0, reverse=True)
    reads = [
        {"at": r["at"], "by": r["actor"], "fields": _fields(r["after"])}
        for r in newest[:READS_SHOWN]
    ]
    return {
        "format": FORMAT,
        "generatedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": {
            "profileId": pid,
            **{k: props.get(k) for k in _GOLDEN},
            "mergedFrom": sorted(str(x) for x in props.get("absorbed") or []),
        },
        "sources": sources,
        "consent": {
            "statements": [
                {
                    "purpose": s.purpose,
                    "channel": s.channel,
                    "granted": s.granted,
                    "source": s.source,
                    "at": s.at,
                    "legalBasis": s.legal_basis,
                    "recordedBy": s.recorded_by,
                }
                for s in sorted(consent.statements, key=lambda s: (s.at or "", s.source))
            ],
            "decisions": [
                {
                    "purpose": d.purpose,
                    "channel": d.channel,
                    "allowed": d.allowed,
                    "reason": d.reason,
                }
                for d in consent.decisions()
            ],
        },
        "metrics": metrics,
        "household": household,
        "alerts": alerts,
        "accessLog": reads,
    }


def _fields(raw: Any) -> list[str]:
    try:
        data = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return []
    return list(data.get("fields") or []) if isinstance(data, dict) else []


def _household(store: GraphStore, pid: str) -> dict[str, Any] | None:
    from app.households.dna import METRICS
    from app.metrics.storage import PREFIX

    row = store.read_one("household_of_profiles", ids=[pid])
    if row is None:
        return None
    hid = str(row["householdId"])
    found = store.read("household_by_ids", ids=[hid])
    if not found:
        return None
    h = dict(found[0]["household"])
    role = None
    for m in store.read("household_members", ids=[hid]):
        if str(m["profileId"]) == pid and m["membership"].get("status") == "current":
            role = m["membership"].get("role")
    return {
        "householdId": hid,
        "yourRole": role,
        "size": h.get("size"),
        "services": h.get("services") or [],
        "metrics": {name: h.get(PREFIX + name) for name in METRICS if PREFIX + name in h},
    }


# -- the page ------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "<span class=none>—</span>"
    if isinstance(value, list | dict):
        return html.escape(json.dumps(value, ensure_ascii=False))
    return html.escape(str(value))


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pairs(data: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in data.items()
    )
    return f"<table class=pairs>{rows}</table>"


def page(doc: dict[str, Any], json_url: str) -> str:
    """The document as a readable page (no script; every value escaped)."""
    p = doc["profile"]
    parts = [
        "<h2>Who we think you are</h2>",
        _pairs({k: v for k, v in p.items() if v not in (None, [])}),
        f"<h2>Where it comes from ({len(doc['sources'])} records)</h2>",
    ]
    for s in doc["sources"]:
        parts.append(f"<h3>{html.escape(s['customerId'])}</h3>")
        parts.append(_pairs({k: v for k, v in s["fields"].items() if v is not None}))
        parts.append(
            _pairs(
                {
                    "e-mails": s["emails"],
                    "phones": s["phones"],
                    "accounts": [a["accountId"] for a in s["accounts"]],
                    "devices": [d["deviceId"] for d in s["devices"]],
                }
            )
        )
        parts.append(f"<h4>Interactions ({len(s['interactions'])})</h4>")
        parts.append(_table(s["interactions"], ["occurredAt", "type", "channel", "value"]))
    parts += [
        "<h2>Your consent</h2>",
        _table(
            doc["consent"]["statements"],
            ["purpose", "channel", "granted", "source", "at", "legalBasis"],
        ),
        "<h3>What it allows</h3>",
        _table(doc["consent"]["decisions"], ["purpose", "channel", "allowed", "reason"]),
        "<h2>What we worked out</h2>",
        _table(
            [
                {"name": m["name"], "value": m["value"], "description": m["description"]}
                for m in doc["metrics"]
            ],
            ["name", "value", "description"],
        ),
        "<h2>Your household</h2>",
        _pairs(doc["household"]) if doc["household"] else "<p>None.</p>",
        "<h2>Alerts about you</h2>",
        _table(doc["alerts"], ["firedAt", "rule", "metric", "value", "status"]),
        "<h2>Who looked at your personal data</h2>",
        _table(doc["accessLog"], ["at", "by", "fields"]),
    ]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your data · identity-graph</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:.5rem 0 1rem}}td,th{{border:1px solid #ccc;
padding:.25rem .5rem;text-align:left;vertical-align:top}}.none{{color:#888}}</style></head>
<body><h1>Your data</h1>
<p>Everything we hold about you, generated {html.escape(doc["generatedAt"])}.
<a href="{html.escape(json_url, quote=True)}">Download it as JSON</a>.</p>
{"".join(parts)}
</body></html>"""
