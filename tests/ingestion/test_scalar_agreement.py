"""The one-record path and the column path normalise every synthetic record the same way."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.ingestion.mapping import builtin_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import prepare_customer_record, prepare_customers
from app.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agree")
    generate(SynthConfig(people=400, seed=8, mess=2.0), out, "csv")
    return out


def _plain(v: object) -> object:
    return None if isinstance(v, float) and math.isnan(v) else v


@pytest.mark.parametrize("source", ["crm", "webshop", "loyalty", "callcenter"])
def test_record_and_column_paths_agree(synth: Path, source: str) -> None:
    mapping = builtin_mapping(source, "customers")
    path = synth / f"{source}_customers.csv"
    (chunk,) = list(read_chunks(path, "csv", 100_000))
    columns = prepare_customers(chunk, mapping, file=path.name, max_len=512, country="GB", seen={})
    col_rows = {w["customerId"]: w for w in columns.writes["upsert_customers"]}
    col_bad = {q["row"]: q["reason"] for q in columns.quarantined}
    seen: set[str] = set()
    compared = 0
    for row_no, raw in zip(chunk.rows, chunk.frame.to_dict("records"), strict=True):
        record = {k: _plain(v) for k, v in raw.items()}
        one = prepare_customer_record(
            record, mapping, file=path.name, row=row_no, max_len=512, country="GB"
        )
        if one.quarantined:
            assert col_bad.get(row_no) == one.quarantined[0]["reason"]
            continue
        cid = one.writes["upsert_customers"][0]["customerId"]
        if cid in seen:  # duplicates are a file-level rule of the column path
            continue
        seen.add(cid)
        assert row_no not in col_bad, col_bad.get(row_no)
        assert one.writes["upsert_customers"][0] == col_rows[cid]
        for name in ("link_emails", "link_phones", "link_addresses", "link_devices"):
            expected = [w for w in columns.writes[name] if w["customerId"] == cid]
            assert one.writes[name] == expected, name
        compared += 1
    assert compared > 100
