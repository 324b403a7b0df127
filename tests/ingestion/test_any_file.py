"""Whatever a file holds, a load ends in a count of every row or in one clear error naming the
file: never a crash, never a row unaccounted for (issue 14's rule, over generated files).
On the embedded store: what is generated here is the file, and the loads' Cypher runs on
both stores in the other ingestion tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import IdGraphError
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import parse_mapping
from app.privacy.quarantine import quarantine_lines
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import CUSTOMER_COLUMNS

COLUMNS = {
    **CUSTOMER_COLUMNS,
    "full": "fullName",
    "country": "country",
    "gender": "gender",
    "consent": "marketingConsent",
    "updated": "updatedAt",
    "ssn": "nationalId",
}
MAPPING = parse_mapping(
    {
        "source": "crm",
        "kind": "customers",
        "columns": COLUMNS,
        "identifiers": {"nationalId": "typo"},
        "formats": {"dateOfBirth": ["%Y-%m-%d", "%d/%m/%Y"]},
    },
    "generated",
)
EDGES = [
    *("", " ", "0", "-1", "1e308", "nan", "None", "null", "+", "00", "0044", "+1", "\t"),
    *("2020-02-30", "9999-12-31", "0001-01-01", "31/02/1990", "2020-01-01T25:00:00"),
    *('"', "'", ",", ";", "\\", "\U0001f4a5", "a" * 600, "1804974.0", "yes", "ZZ", "US"),
    *("1 (415) 555-2671", "x@y", "a@b.c", "Smith, John A", "\u2028", "\x00", "\x07"),
]
VALUES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24),
    st.sampled_from(EDGES),
)
ROWS = st.lists(st.fixed_dictionaries(dict.fromkeys(COLUMNS, VALUES)), min_size=1, max_size=9)
BYTES = st.lists(
    st.sampled_from(
        [b",", b'"', b"\r", b"\n", b"\x00", b"\xff", b"\xc3", b"\xef\xbb\xbf", b"a", b"1", b" "]
    ),
    max_size=60,
)
RELAXED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _settings(falkor_settings: Settings, tmp_path: Path) -> Settings:
    return falkor_settings.model_copy(update={"data_dir": tmp_path / "data", "chunk_rows": 4})


def _quarantine_lines(summary) -> int:  # type: ignore[no-untyped-def]
    if summary.quarantine_file is None:
        return 0
    return len(quarantine_lines(Path(summary.quarantine_file)))


@RELAXED
@given(rows=ROWS, as_json=st.booleans())
def test_every_row_of_any_records_is_loaded_or_set_aside(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path, rows, as_json
) -> None:
    settings_ = _settings(falkor_settings, tmp_path)
    f = tmp_path / ("crm.jsonl" if as_json else "crm.csv")
    if as_json:
        f.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        f.write_text(out.getvalue(), encoding="utf-8")
    try:
        summary = ingest_file(
            falkor_store, f, "crm", settings_, mapping=MAPPING, show_progress=False
        )
    except IdGraphError as refused:  # a file refused whole names itself
        assert str(refused).startswith(("crm.", str(f)))
        return
    assert summary.rows_read == len(rows)
    assert summary.rows_loaded + summary.rows_quarantined == summary.rows_read
    assert _quarantine_lines(summary) == summary.rows_quarantined + summary.fields_blanked


@RELAXED
@given(body=BYTES, bom=st.booleans())
def test_any_bytes_after_a_header_load_or_are_refused_naming_the_file(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path, body, bom
) -> None:
    f = tmp_path / "crm.csv"
    f.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b",".join(s.encode() for s in COLUMNS))
    with f.open("ab") as fh:
        fh.write(b"\n" + b"".join(body))
    settings_ = _settings(falkor_settings, tmp_path)
    try:
        summary = ingest_file(
            falkor_store, f, "crm", settings_, mapping=MAPPING, show_progress=False
        )
    except IdGraphError as refused:
        assert str(refused).startswith(("crm.", str(f)))
        return
    assert summary.rows_loaded + summary.rows_quarantined == summary.rows_read
    assert _quarantine_lines(summary) == summary.rows_quarantined + summary.fields_blanked
