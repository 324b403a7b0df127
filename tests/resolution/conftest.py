"""Records of a small synthetic population as resolution reads them, without a store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.ingestion.mapping import builtin_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import prepare_customers
from app.resolution.records import frame
from app.resolution.truth import read_truth
from app.synth import SynthConfig, generate


def records_of(folder: Path, sources: tuple[str, ...]) -> pd.DataFrame:
    """The customer files of a synthetic folder, prepared as ingestion prepares them."""
    rows = []
    for source in sources:
        mapping = builtin_mapping(source, "customers")
        path = folder / f"{source}_customers.csv"
        for chunk in read_chunks(path, "csv", 100_000):
            p = prepare_customers(
                chunk, mapping, file=path.name, max_len=512, country="GB", seen={}
            )
            rows += [
                {"customerId": w["customerId"], **w["props"]} for w in p.writes["upsert_customers"]
            ]
    return frame(rows)


@pytest.fixture(scope="session")
def synth_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth-resolution")
    generate(SynthConfig(people=300, seed=4, mess=1.5), out, "csv")
    return out


@pytest.fixture(scope="session")
def synth_records(synth_folder: Path) -> pd.DataFrame:
    return records_of(synth_folder, ("crm", "webshop", "loyalty", "callcenter"))


@pytest.fixture(scope="session")
def synth_truth(synth_folder: Path) -> pd.Series:
    return read_truth(synth_folder / "truth_records.csv")
