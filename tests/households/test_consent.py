"""Marketing consent through ingestion: the words sources use, a bad value blanked with
its column named, the one-record path agreeing, and the golden consent on the profile."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from app.households.resolve import resolve_households
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.ingestion.normalize import consent1
from app.privacy.consent import (
    consent_by_subject,
    consent_of_profiles,
    record_statement,
    stated_rows,
)
from tests.ingestion.helpers import write_mapping

CSV = """id,last,opt
1,Moss,Yes
2,Moss,opted-out
3,Moss,
4,Moss,maybe
5,Moss,TRUE
"""


def test_consent_words_load_and_a_bad_value_is_blanked(store, settings, tmp_path) -> None:
    f = tmp_path / "crm.csv"
    f.write_text(CSV)
    columns = {"id": "sourceKey", "last": "lastName", "opt": "marketingConsent"}
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", columns))
    summary = ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.fields_blanked) == (5, 0, 1)
    (bad,) = map(json.loads, Path(summary.quarantine_file or "").read_text().splitlines())
    assert (bad["row"], bad["column"], bad["value"], bad["reason"]) == (
        4,
        "opt",
        "maybe",
        "invalid consent",
    )
    rows, _ = store.run_text(
        "MATCH (c:Customer) RETURN c.sourceKey AS k, c.marketingConsent AS v ORDER BY k",
        write=False,
    )
    assert [(r["k"], r["v"]) for r in rows] == [
        ("1", True),
        ("2", False),
        ("3", None),
        ("4", None),
        ("5", True),
    ]
    assert consent1(" Opted In ") == (True, False) and consent1("perhaps") == (None, True)


def test_golden_consent_on_the_profile_refusal_wins(people, store, settings) -> None:
    people.add("p1", "Moss", consent=True)
    people.record("p1", "W1", consent=False)
    people.add("p2", "Cole", consent=True)
    people.add("p3", "Ida")
    resolve_households(store, settings, today=date(2026, 1, 1))
    rows, _ = store.run_text(
        "MATCH (p:Profile) RETURN p.profileId AS p, p.marketingConsent AS v ORDER BY p",
        write=False,
    )
    assert [(r["p"], r["v"]) for r in rows] == [("p1", False), ("p2", True), ("p3", None)]


def test_the_batch_golden_consent_is_the_rule_profile_by_profile(people, store, settings) -> None:
    """The households batch reads every record that states consent in one scan; each profile's
    golden consent is still what the rule gives its own statements (consent_of_profiles), a
    statement recorded over the API counts, and a consent no longer stated is taken back."""
    people.add("p1", "Moss", consent=True)
    people.record("p1", "W1", consent=False)  # later refusal
    people.add("p2", "Cole", consent=True)
    people.add("p3", "Ida")
    people.add("p4", "Vane")  # nothing on the record, a statement over the API
    record_statement(
        store, "crm:p4", "marketing", "email", True, "consent", "agent", at="2025-01-01"
    )
    people.add("p5", "Lee", consent=False)  # refused in the record, granted later over the API
    record_statement(store, "crm:p5", "marketing", "sms", True, "consent", "agent", at="2025-02-01")
    people.add("p6", "Roe", consent=True)
    resolve_households(store, settings, today=date(2026, 1, 1))
    people.add("p6", "Roe", consent=None)  # the source no longer states it
    resolve_households(store, settings, today=date(2026, 1, 1))

    rows, _ = store.run_text(
        "MATCH (p:Profile) RETURN p.profileId AS p, p.marketingConsent AS v ORDER BY p",
        write=False,
    )
    golden = {r["p"]: r["v"] for r in rows}
    assert golden == {"p1": False, "p2": True, "p3": None, "p4": True, "p5": True, "p6": None}
    one_by_one = consent_of_profiles(store, sorted(golden))
    assert golden == {p: c.marketing()[0] for p, c in one_by_one.items()}
    # The batch's read of every record (two scans) gives each profile exactly the statements
    # the one-profile read gives it: record fields and statements recorded over the API.
    batch = consent_by_subject(stated_rows(store), sorted(golden))
    assert {p: sorted(map(repr, c.statements)) for p, c in batch.items()} == {
        p: sorted(map(repr, c.statements)) for p, c in one_by_one.items()
    }
    assert sum(len(c.statements) for c in batch.values()) == 6  # p1 2, p2 1, p4 1, p5 2
