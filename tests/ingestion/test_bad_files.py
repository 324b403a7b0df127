"""A file loads whole or not at all from the user's point of view: what can be checked is
checked before anything is written, a bad value costs that value (or its record, for a key)
with the row and the reason, and no message shows Cypher (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.errors import InputError
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import CUSTOMER_COLUMNS, customer_rows, snapshot, write_mapping


@pytest.fixture
def mapping(tmp_path: Path):
    return load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))


def _settings(backend_settings: Settings, tmp_path: Path) -> Settings:
    return backend_settings.model_copy(update={"data_dir": tmp_path / "data", "chunk_rows": 500})


def _load(store, path, settings, mapping):
    return ingest_file(store, path, "crm", settings, mapping=mapping, show_progress=False)


def test_a_bad_byte_near_the_end_leaves_the_graph_as_before(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, mapping
) -> None:
    settings = _settings(backend_settings, tmp_path)
    before_file = tmp_path / "before.csv"
    pd.DataFrame(customer_rows(300)).to_csv(before_file, index=False)
    _load(store, before_file, settings, mapping)
    before = snapshot(store)

    bad = tmp_path / "crm.csv"
    pd.DataFrame(customer_rows(3000, offset=1000)).to_csv(bad, index=False)
    data = bad.read_bytes()
    at = data.index(b"first21,", len(data) - 2000)  # a latin-1 byte in one of the last rows
    bad.write_bytes(data[:at] + b"J\xe9r\xf4me" + data[at:])
    with pytest.raises(InputError) as refused:
        _load(store, bad, settings, mapping)
    message = str(refused.value)
    row = pd.read_csv(bad, encoding="latin-1", dtype=str)["first"].str.startswith("Jér").idxmax()
    assert f"row {row + 1:,}, column first: byte 0xe9" in message
    assert "nothing was loaded" in message
    assert snapshot(store) == before


def test_nul_and_control_characters_blank_the_value_or_refuse_the_key(
    store: GraphStore, backend_settings: Settings, tmp_path: Path, mapping
) -> None:
    settings = _settings(backend_settings, tmp_path)
    rows = customer_rows(20)
    rows[3]["email"] = "\x00" + rows[3]["email"]
    rows[5]["first"] = "Ann\x01"
    rows[7]["id"] = "C\x00007"
    rows[9]["device"] = "D\x02"
    f = tmp_path / "crm.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    summary = _load(store, f, settings, mapping)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.fields_blanked) == (19, 1, 3)
    lines = [json.loads(x) for x in Path(summary.quarantine_file).read_text().splitlines()]
    assert [(x["row"], x.get("column"), x["reason"]) for x in lines] == [
        (4, "email", "contains a NUL byte"),
        (6, "first", "contains a control character (U+0001)"),
        (8, None, "field id (sourceKey) contains a NUL byte"),
        (10, "device", "contains a control character (U+0002)"),
    ]
    assert store.read("customer_count")[0]["n"] == 19


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "the file is empty"),
        (b"\x1f\x8b\x08\x00\x00\x00", "it is a gzip file"),
        (b"PK\x03\x04rest", "it is a zip archive"),
        (b"id,first\x00,last\nC1,a,b\n", "binary data (a NUL byte at byte 8)"),
        (b"\xff\xfei\x00d\x00", "the file is utf-16 text; set 'encoding: utf-16'"),
        (",".join(f"c{i}" for i in range(50_000)).encode() + b"\n", "50,000 columns; at most"),
    ],
    ids=["empty", "gzip", "zip", "nul", "utf16", "wide"],
)
def test_a_file_that_is_not_what_it_says_is_refused_before_any_write(
    store: GraphStore, falkor_settings: Settings, tmp_path: Path, mapping, content, words
) -> None:
    f = tmp_path / "crm.csv"
    f.write_bytes(content)
    with pytest.raises(InputError) as refused:
        _load(store, f, _settings(falkor_settings, tmp_path), mapping)
    assert words in str(refused.value)
    assert store.read("customer_count")[0]["n"] == 0


def test_nested_values_are_refused_where_one_value_belongs(
    store: GraphStore, falkor_settings: Settings, tmp_path: Path, mapping
) -> None:
    settings = _settings(falkor_settings, tmp_path)
    rows = customer_rows(6)
    rows[1]["first"] = {"Nested": ["X"]}
    rows[2]["id"] = ["C2"]
    f = tmp_path / "crm.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = _load(store, f, settings, mapping)
    lines = [json.loads(x) for x in Path(summary.quarantine_file).read_text().splitlines()]
    assert [(x["row"], x["reason"]) for x in lines] == [
        (2, "an object where a single value is expected"),
        (3, "field id (sourceKey) a list where a single value is expected"),
    ]
    stored = store.read("api_customers", ids=["crm:C000001"])[0]["customer"]
    assert "firstName" not in stored  # not the text "{'Nested': ['X']}"

    table = pa.table({"id": ["P1"], "first": [["a", "b"]], "last": ["x"]})
    pq.write_table(table, tmp_path / "crm.parquet")
    with pytest.raises(InputError, match="column first holds list<element: string> values"):
        _load(store, tmp_path / "crm.parquet", settings, mapping)
