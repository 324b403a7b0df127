"""The 360 view's pure rules (app/profile360.py): merged identifiers, golden values'
sources, the timeline filter's times. The timeline itself runs on a store in
tests/access/test_search.py."""

from __future__ import annotations

import pytest

from app.errors import InputError
from app.profile360 import TimelineFilter, epoch_ms, golden_sources, merged


def test_identifiers_of_all_records_each_once_sorted() -> None:
    lists = [["b@x", "a@x"], ["a@x", "c@x"], []]
    assert merged(lists, key=lambda e: e) == ["a@x", "b@x", "c@x"]


def test_a_golden_value_names_the_records_holding_it() -> None:
    profile = {"firstName": "Grace", "email": "g@navy.mil", "city": None}
    records = [
        {"id": "crm:1", "source": "crm", "firstName": "Grace", "emails": [{"email": "g@navy.mil"}]},
        {"id": "web:9", "source": "webshop", "firstName": "G", "emails": [{"email": "g@navy.mil"}]},
    ]
    found = {g.field: (g.sources, g.records) for g in golden_sources(profile, records)}
    assert found == {
        "firstName": (["crm"], ["crm:1"]),
        "email": (["crm", "webshop"], ["crm:1", "web:9"]),
    }


def test_filter_times_are_iso_and_naive_means_utc() -> None:
    assert epoch_ms("since", "1970-01-01T00:00:01") == 1000
    assert epoch_ms("since", "1970-01-01T01:00:01+01:00") == 1000
    assert epoch_ms("since", "") is None
    with pytest.raises(InputError, match="ISO 8601"):
        epoch_ms("until", "last week")
    where = TimelineFilter.of(types=["Purchase"], channels=None, since="2026-01-01")
    assert where.types == ("purchase",) and where.channels is None and where.since_ms
