"""The audit trail (app/audit.py) on every backend: events written by `record` come back
newest first, filtered by entity, actor, action and time, paged with a total; personal values
in before/after are masked for callers without PII rights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app import audit
from app.audit import TrailFilter, mask_json, trail
from app.errors import InputError
from app.privacy.erasure import REDACTED, redact_audit
from app.privacy.playback import playback
from app.settings import Settings
from app.store import GraphStore


def _seed(store: GraphStore) -> list[str]:
    ids = [
        audit.record(store, "key:ann", "upsertCustomerRecord", "", None, {"a": 1}, ["crm:1"]),
        audit.record(store, "key:bob", "defineMetric", "", None, {}, (), (), ["metric:m"]),
        audit.record(store, "key:ann", "splitCustomer", "son", {}, {}, ["crm:1"], ["P-1"]),
    ]
    return ids


def test_newest_first_with_filters_and_a_total(store: GraphStore) -> None:
    first, second, third = _seed(store)
    page = trail(store, TrailFilter())
    assert [e.audit_id for e in page.events] == [third, second, first]
    assert (page.total, page.has_next) == (3, False)
    assert page.events[0].entity_ids == ["crm:1", "P-1"]
    assert page.events[0].reason == "son"

    ann = trail(store, TrailFilter(actor="key:ann"))
    assert [e.audit_id for e in ann.events] == [third, first] and ann.total == 2
    about = trail(store, TrailFilter(entity_id="crm:1"))
    assert [e.audit_id for e in about.events] == [third, first]
    metric = trail(store, TrailFilter(entity_id="metric:m"))
    assert [(e.audit_id, e.action, e.actor) for e in metric.events] == [
        (second, "defineMetric", "key:bob")
    ]
    splits = trail(store, TrailFilter(actions=("splitCustomer",)))
    assert [e.audit_id for e in splits.events] == [third]
    assert trail(store, TrailFilter(since="2999-01-01")).total == 0
    assert trail(store, TrailFilter(since="2000-01-01T00:00:00Z")).total == 3


def _every_page(store: GraphStore, total: int) -> list[str]:
    """The trail's events in pages of 3, following the cursor; each page gives `total`."""
    seen: list[str] = []
    after = None
    while True:
        page = trail(store, TrailFilter(), 3, after)
        assert page.total == total
        seen += [e.audit_id for e in page.events]
        if not page.has_next:
            return seen
        after = (page.events[-1].at_us, page.events[-1].audit_id)


def test_pages_follow_on_without_gaps(store: GraphStore) -> None:
    made = [audit.record(store, "cli:x", "a", "", None, {"n": n}, ["crm:1"]) for n in range(7)]
    assert _every_page(store, 7) == made[::-1]


def _read_relationships(store: GraphStore) -> list[tuple[str, str, str, str]]:
    rows, _ = store.run_text(
        "MATCH (a:Actor)-[r]->(n) RETURN a.name AS actor, type(r) AS type, r.auditId AS id, "
        "coalesce(n.customerId, n.profileId) AS whose",
        write=False,
    )
    return sorted((r["actor"], r["type"], r["id"], r["whose"]) for r in rows)


def test_reads_of_personal_data_are_relationships_in_the_same_trail(store: GraphStore) -> None:
    """A read (readPII) is a READ_PII relationship from the reader to the first record or
    profile read and a READ_PII_ALSO to each other one, not an AuditEvent node; the trail
    shows it as one event among the others, filtered and counted alike. A read of nothing in
    the graph is a node."""
    store.run_text(
        "CREATE (:Customer {customerId: 'crm:1'}), (:Customer {customerId: 'crm:2'}), "
        "(:Profile {profileId: 'P-1'})",
        write=True,
    )
    change = audit.record(store, "key:ann", "upsertCustomerRecord", "", None, {}, ["crm:1"])
    read = audit.record(
        store, "key:zoe", audit.READ_PII, "", None, {"fields": ["email"]}, ["crm:1"], ["P-1"]
    )
    gone = audit.record(store, "key:zoe", audit.READ_PII, "", None, {}, ["crm:9"])
    assert _read_relationships(store) == [
        ("key:zoe", "READ_PII", read, "crm:1"),
        ("key:zoe", "READ_PII_ALSO", read, "P-1"),
    ]
    nodes, _ = store.run_text("MATCH (e:AuditEvent) RETURN e.auditId AS id", write=False)
    assert sorted(r["id"] for r in nodes) == sorted([change, gone])

    page = trail(store, TrailFilter())
    assert [e.audit_id for e in page.events] == [gone, read, change]
    assert (page.total, page.has_next) == (3, False)
    shown = page.events[1]
    assert (shown.actor, shown.action, shown.entity_ids) == ("key:zoe", "readPII", ["crm:1", "P-1"])
    assert (shown.before, shown.after) == ("null", '{"fields": ["email"]}')
    assert [e.audit_id for e in trail(store, TrailFilter(entity_id="crm:1")).events] == [
        read,
        change,
    ]
    zoe = trail(store, TrailFilter(actor="key:zoe"))
    assert ([e.audit_id for e in zoe.events], zoe.total) == ([gone, read], 2)
    reads = trail(store, TrailFilter(actions=(audit.READ_PII,)))
    assert ([e.audit_id for e in reads.events], reads.total) == ([gone, read], 2)
    assert trail(store, TrailFilter(actions=("splitCustomer",))).total == 0


def test_pages_follow_on_over_events_and_reads(store: GraphStore) -> None:
    store.run_text("CREATE (:Customer {customerId: 'crm:1'})", write=True)
    made = [
        audit.record(store, "cli:x", audit.READ_PII if n % 3 else "a", "", None, {}, ["crm:1"])
        for n in range(8)
    ]
    assert _every_page(store, 8) == made[::-1]


def test_an_erasure_keeps_reads_of_the_person_without_their_details(store: GraphStore) -> None:
    """Reads about an erased record or profile (the first thing read or another) stay in the
    trail as redacted AuditEvents (who, when), without its id, about the other records they
    read; no relationship of those reads is left."""
    store.run_text(
        "CREATE (:Customer {customerId: 'crm:1'}), (:Customer {customerId: 'crm:2'}), "
        "(:Profile {profileId: 'P-9'})",
        write=True,
    )
    both = audit.record(store, "key:zoe", audit.READ_PII, "", None, {"f": 1}, ["crm:1", "crm:2"])
    theirs = audit.record(store, "key:zoe", audit.READ_PII, "why", None, {"f": 2}, ["crm:1"])
    profile = audit.record(store, "key:zoe", audit.READ_PII, "", None, {}, ["crm:2"], ["P-9"])
    other = audit.record(store, "key:zoe", audit.READ_PII, "", None, {"f": 3}, ["crm:2"])
    change = audit.record(store, "key:ann", "upsertCustomerRecord", "", None, {}, ["crm:1"])
    assert ("key:zoe", "READ_PII_ALSO", profile, "P-9") in _read_relationships(store)

    assert redact_audit(store, ["crm:1"], ["P-9"]) == 4

    events = {e.audit_id: e for e in trail(store, TrailFilter()).events}
    assert set(events) == {both, theirs, profile, other, change}
    for gone, actor, action, ids in (
        (both, "key:zoe", audit.READ_PII, ["crm:2"]),
        (theirs, "key:zoe", audit.READ_PII, []),
        (profile, "key:zoe", audit.READ_PII, ["crm:2"]),
        (change, "key:ann", "upsertCustomerRecord", []),
    ):
        e = events[gone]
        assert (e.actor, e.action, e.entity_ids) == (actor, action, ids)
        assert (e.before, e.after, e.reason) == (REDACTED, REDACTED, REDACTED)
    kept = events[other]
    assert (kept.entity_ids, kept.after, kept.before) == (["crm:2"], '{"f": 3}', "null")
    assert _read_relationships(store) == [("key:zoe", "READ_PII", other, "crm:2")]
    rows, _ = store.run_text(
        "MATCH (e:AuditEvent)-[:CONCERNS]->(c) "
        "RETURN e.auditId AS id, coalesce(c.customerId, c.profileId) AS c",
        write=False,
    )
    # (The erasure then deletes crm:1, and the change's edge to it with it.)
    assert sorted((r["id"], r["c"]) for r in rows) == sorted(
        [(both, "crm:2"), (profile, "crm:2"), (change, "crm:1")]
    )


def test_data_playback_lists_the_reads_kept_either_way(store: GraphStore, tmp_path: Path) -> None:
    """The person's data playback lists who read their data, newest first: reads kept as
    READ_PII relationships and reads kept as AuditEvent nodes (a graph written before reads
    were relationships, or a read an erasure of someone else redacted)."""
    store.run_text(
        "CREATE (:Customer {customerId: 'crm:1'})-[:RESOLVES_TO]->(:Profile {profileId: 'P-1'})",
        write=True,
    )
    store.write(
        "record_audit",
        auditId="AU-old",
        at="2026-01-01T00:00:00Z",
        atUs=1_767_225_600_000_000,
        actor="key:old",
        action=audit.READ_PII,
        reason="",
        before="null",
        after=json.dumps({"fields": ["phone"]}),
        customerIds=["crm:1"],
        profileIds=[],
        entityIds=["crm:1"],
    )
    audit.record(store, "key:zoe", audit.READ_PII, "", None, {"fields": ["email"]}, ["crm:1"])
    audit.record(store, "key:bob", audit.READ_PII, "", None, {"fields": ["name"]}, [], ["P-1"])
    audit.record(store, "key:ann", "upsertCustomerRecord", "", None, {"fields": ["x"]}, ["crm:1"])
    reads = playback(store, Settings(data_dir=tmp_path), "P-1")["accessLog"]
    assert [(r["by"], r["fields"]) for r in reads] == [
        ("key:bob", ["name"]),
        ("key:zoe", ["email"]),
        ("key:old", ["phone"]),
    ]


def test_bad_input_is_named(store: GraphStore) -> None:
    with pytest.raises(InputError, match="since: 'yesterday' is not an ISO 8601"):
        trail(store, TrailFilter(since="yesterday"))
    with pytest.raises(InputError, match="actor"):
        audit.record(store, " ", "a", "", None, None)


def test_personal_values_are_masked_by_their_kind() -> None:
    before = json.dumps(
        {
            "firstName": "Ottoline",
            "email": "ob@example.org",
            "dateOfBirth": "1970-04-02",
            "marketingConsent": "yes",
            "nested": [{"phone": "+447700900123"}],
        }
    )
    assert json.loads(mask_json(before) or "") == {
        "firstName": "O***",
        "email": "o***@example.org",
        "dateOfBirth": "1970-**-**",
        "marketingConsent": "yes",
        "nested": [{"phone": "+44********23"}],
    }
    assert mask_json(None) is None


_KEYS = st.sampled_from(["email", "profile", "after", "fields", "x"])


@given(
    email=st.emails(),
    path=st.lists(st.one_of(_KEYS, st.just(0)), max_size=4),
)
@example(email="*@A.AZ", path=[])  # found by the suite: the old check failed on it
@example(email="a@b.co", path=["email", 0, "email"])
def test_no_email_survives_masking_at_any_depth(email: str, path: list[object]) -> None:
    """At any depth an e-mail comes out as its first letter and its domain, nothing more.
    (Exact, not "the e-mail is no longer in the text": an e-mail whose mailbox is "*" is
    masked to "****@domain", which holds the e-mail as text while showing nothing of it.)"""
    local, _, domain = email.partition("@")

    def nest(value: object) -> object:
        for step in reversed(path):
            value = [value] if step == 0 else {str(step): value}
        return value

    masked = json.loads(mask_json(json.dumps(nest({"email": email}))) or "null")
    assert masked == nest({"email": f"{local[:1]}***@{domain}"})
