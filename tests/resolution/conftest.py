"""Records of a small synthetic population as resolution reads them, without a store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.ingestion.batch import load_directory
from app.ingestion.mapping import builtin_mapping
from app.ingestion.reader import read_chunks
from app.ingestion.rows import prepare_customers
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.records import frame
from app.resolution.truth import read_truth
from app.settings import Settings
from app.store import GraphStore
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


def resolve_linked(
    store: GraphStore, folder: Path, tmp_path: Path, one_to_one: bool = False
) -> tuple[Settings, MatchModel]:
    """`folder` loaded and resolved in link-only mode (crm with loyalty), the model saved as
    `idgraph train` saves it."""
    settings = Settings(
        data_dir=tmp_path / "data",
        resolve_workers=1,
        link_only=["crm", "loyalty"],
        one_to_one=one_to_one,
    )
    load_directory(store, folder, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings).model
    model.save(settings.model_file)
    resolve(store, settings, model)
    return settings, model
