"""The Splink baseline finds the people in a small synthetic population."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from app.ingestion.batch import load_directory
from app.resolution.evaluate import bcubed, pairwise
from app.resolution.records import load_records
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate

pytest.importorskip("splink", reason="splink is not installed (pip install -e '.[bench]')")

BASELINE = Path(__file__).resolve().parents[2] / "bench" / "splink_baseline.py"


@pytest.fixture(scope="module")
def baseline() -> ModuleType:
    """bench/ is scripts, not a package: load the module from its file."""
    spec = importlib.util.spec_from_file_location("splink_baseline", BASELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def population(
    falkor_store: GraphStore, falkor_settings: Settings, tmp_path: Path
) -> tuple[pd.DataFrame, pd.Series]:
    out = tmp_path / "synth"
    generate(SynthConfig(people=300, seed=5), out, "csv")
    load_directory(falkor_store, out, falkor_settings, show_progress=False)
    t = pd.read_csv(out / "truth_records.csv", dtype=str).dropna(subset=["source_key"])
    return load_records(falkor_store, falkor_settings.read_page), pd.Series(
        t.person_id.to_numpy(), index=t.source + ":" + t.source_key
    )


def test_unsupervised_splink_finds_the_people(
    baseline: ModuleType, population: tuple[pd.DataFrame, pd.Series]
) -> None:
    records, truth = population
    result = baseline.run_splink(records, threshold=0.99)

    assert result.clusters.index.equals(records.index)
    assert result.clusters.notna().all()
    assert result.pairs_scored > 0 and result.seconds > 0 and result.peak_rss_mb > 0
    singletons = pd.Series(records.index, index=records.index)
    assert pairwise(result.clusters, truth).f1 > 0.8  # every record alone scores 0
    assert bcubed(result.clusters, truth).f1 > bcubed(singletons, truth).f1 + 0.2


def test_labelled_pairs_train_m(
    baseline: ModuleType, population: tuple[pd.DataFrame, pd.Series]
) -> None:
    records, truth = population
    result = baseline.run_splink(records, truth, threshold=0.99, labels=200)

    assert "m from 200 labelled pairs" in result.notes
    assert pairwise(result.clusters, truth).f1 > 0.8
