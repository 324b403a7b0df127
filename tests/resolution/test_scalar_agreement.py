"""Blocking keys and model records: the one-record functions agree with the column ones."""

from __future__ import annotations

import pandas as pd
import pytest

from app.ingestion.mapping import builtin_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import prepare_customers
from app.resolution.blocking import BLOCKING_KEYS, key_frame, keys1
from app.resolution.model import model_record1, model_records
from app.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("agree")
    generate(SynthConfig(people=300, seed=4, mess=2.0), out, "csv")
    rows = []
    for source in ("crm", "webshop", "loyalty", "callcenter"):
        mapping = builtin_mapping(source, "customers")
        path = out / f"{source}_customers.csv"
        for chunk in read_chunks(path, "csv", 100_000):
            p = prepare_customers(chunk, mapping, file=path.name, max_len=512, country="GB",
                                  seen={})  # fmt: skip
            rows += [w["props"] for w in p.writes["upsert_customers"]]
    return pd.DataFrame(rows)


def test_blocking_keys_agree(records: pd.DataFrame) -> None:
    frame = key_frame(records)
    for i, rec in enumerate(records.to_dict("records")):
        one = keys1({k: (None if pd.isna(v) else v) for k, v in rec.items()})
        for name in BLOCKING_KEYS:
            expected = frame[name].iloc[i]
            assert one[name] == (None if pd.isna(expected) else expected), (name, rec)


def test_model_records_agree(records: pd.DataFrame) -> None:
    many = model_records(records)
    keys = key_frame(records)["formal_names"]
    counts = keys.map(keys.value_counts())
    for i, (rec, expected) in enumerate(zip(records.to_dict("records"), many, strict=True)):
        count = None if pd.isna(counts.iloc[i]) else int(counts.iloc[i])
        one = model_record1({k: (None if pd.isna(v) else v) for k, v in rec.items()}, count)
        assert one == expected
    frequencies = [r["nameFrequency"] for r in many if r["nameFrequency"]]
    assert len({f.rpartition("|")[2] for f in frequencies}) > 1  # common and rare names


def test_golden_attributes_agree(records: pd.DataFrame) -> None:
    from app.resolution.profiles import golden, golden1

    labels = pd.Series([i // 3 for i in range(len(records))], index=records.index)
    many = golden(records, labels)
    plain = records.astype(object).where(records.notna(), None)
    for key, group in plain.groupby(labels.to_numpy()):
        one = golden1(group.to_dict("records"))
        expected = many.loc[key]
        assert one == {c: (None if pd.isna(v) else v) for c, v in expected.items()}


def test_identifying_facts_agree(records: pd.DataFrame) -> None:
    from app.resolution.batch import identifying_facts
    from app.resolution.realtime import identifying_facts1

    many = identifying_facts(records).tolist()
    plain = records.astype(object).where(records.notna(), None).to_dict("records")
    assert [identifying_facts1(r) for r in plain] == many
    assert min(many) < 2 <= max(many)  # the data has sparse and identified records


def test_our_distances_are_dedupes(records: pd.DataFrame) -> None:
    import numpy as np

    from app.resolution.blocking import candidate_pairs
    from app.resolution.model import FIELD_TYPES, MatchModel, data_model

    recs = model_records(records)
    cand = candidate_pairs(records)
    model = MatchModel(coef=[0.0] * 2 * len(FIELD_TYPES), intercept=0.0)
    ours = model.distances_between(model.columns(recs), cand.left, cand.right)
    pairs = [(recs[a], recs[b]) for a, b in zip(cand.left, cand.right, strict=True)]
    theirs = np.asarray(data_model().distances(pairs), dtype="float64")
    assert len(pairs) > 1000 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(model.distances(pairs[:50]), theirs[:50])
