"""Batch stages skip their work when nothing they read has been written since their last
complete run (app/store/marks.py), on every backend: a re-run of resolve, households and
metrics reads only the marks and leaves the graph as it was; after a write a stage reads, it
runs, and a full run after it finds nothing left to change; a write it does not read (metrics
other than the churn risk, for households) leaves it skipping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from app import flows
from app.households.batch import run_batch as households
from app.ingestion.batch import load_directory
from app.metrics import registry
from app.metrics.definitions import Formula
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from tests.ingestion.test_digest import BOOKKEEPING, digest

TODAY = date(2026, 1, 1)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
LATER = datetime(2026, 3, 1, tzinfo=UTC)
MARKS_ONLY = ["change_marks", "stage_run"]  # what a stage with nothing to do reads


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("skips")
    generate(SynthConfig(people=120, seed=5), out, "csv")
    return out


@dataclass
class Chain:
    store: GraphStore
    settings: Settings
    model: MatchModel

    def resolve(self, full: bool = False, settings: Settings | None = None) -> int:
        settings = settings or self.settings
        return flows.resolve_all(self.store, settings, self.model, full=full).profiles

    def households(self, full: bool = False) -> bool:
        return households(self.store, self.settings, today=TODAY, full=full).skipped

    def metrics(self, now: datetime = NOW, full: bool = False) -> int:
        summary, _ = flows.metrics_batch(self.store, self.settings, now, None, False, full)
        return summary.changed_values


@contextmanager
def reads(store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the queries read through `store.read` inside."""
    names: list[str] = []
    read = store.read
    with monkeypatch.context() as m:
        m.setattr(store, "read", lambda name, **p: names.append(name) or read(name, **p))
        yield names


@pytest.fixture
def chain(store: GraphStore, backend_settings: Settings, population: Path, tmp_path: Path) -> Chain:
    """The population loaded, a model learned without labels, each stage run once. The alert
    rules are read afresh whenever asked for (the cache's age is not what makes a skipping
    stage read nothing: a slow machine made a re-run read them)."""
    update = {"data_dir": tmp_path / "data", "resolve_workers": 1, "alert_rules_refresh_s": 0}
    settings = backend_settings.model_copy(update=update)
    load_directory(store, population, settings, show_progress=False)
    model = learn(store, settings).model
    done = Chain(store, settings, model)
    done.resolve()
    done.households()
    done.metrics()
    return done


def test_a_rerun_with_nothing_written_reads_only_the_marks(
    chain: Chain, store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = digest(store, ["Lock"])  # resolve takes the resolution lock (its lease is written)
    profiles = chain.resolve()
    for stage in (chain.resolve, chain.households, chain.metrics):
        with reads(store, monkeypatch) as names:
            stage()
        assert names == MARKS_ONLY, stage
    assert chain.resolve() == profiles
    assert chain.households() is True
    assert chain.metrics() == 0
    assert digest(store, ["Lock"]) == before  # nothing written, not even the stages' records


def test_a_stage_runs_after_a_write_it_reads_and_a_full_run_finds_nothing_left(
    chain: Chain,
    store: GraphStore,
    population: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # New and changed records and interactions, loaded: every stage reads them.
    more = tmp_path / "more"
    more.mkdir()
    crm = pd.read_csv(population / "crm_customers.csv", dtype=str)
    moved = crm.head(10).assign(street="1 Quay Street", postcode="LS1 4AP")
    new = crm.tail(5).assign(crm_id=lambda f: f["crm_id"] + "X", street="9 Mill Lane")
    pd.concat([moved, new]).to_csv(more / "crm_customers.csv", index=False)
    load_directory(store, more, chain.settings, show_progress=False)
    for stage in (chain.resolve, chain.households, chain.metrics):
        with reads(store, monkeypatch) as names:
            stage()
        assert names != MARKS_ONLY, stage  # it ran
        after = digest(store, BOOKKEEPING)
        stage(full=True)
        assert digest(store, BOOKKEEPING) == after, stage  # nothing was left to do


def test_households_run_after_the_churn_risk_changes_and_skip_other_metric_changes(
    chain: Chain, store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert chain.metrics(LATER) > 0  # windows moved: many values changed, no churn risk
    with reads(store, monkeypatch) as names:
        assert chain.households() is True
    assert names == MARKS_ONLY
    registry.define(
        chain.settings,
        Formula(name="churnRisk", kind="formula", expression="1 / (1 + purchases90d)"),
    )
    assert chain.metrics(LATER) > 0  # the churn risk, computed for every profile
    assert chain.households() is False  # Group DNA's maximum churn risk reads it
    after = digest(store, BOOKKEEPING)
    assert chain.households(full=True) is False
    assert digest(store, BOOKKEEPING) == after
    rows, _ = store.run_text(
        "MATCH (h:Household {status: 'active'}) "
        "RETURN count(h) AS n, count(h.dna_maxChurnRisk) AS risks",
        write=False,
    )
    assert rows[0]["risks"] == rows[0]["n"] > 0


def test_households_and_metrics_run_after_a_resolve_that_moved_records(
    chain: Chain, store: GraphStore
) -> None:
    before = chain.resolve()
    # Resolve alone writes (no load, no real time), with a stricter profile threshold of its
    # own: households and metrics run with the settings they had.
    strict = chain.settings.model_copy(update={"match_threshold": 0.999})
    assert chain.resolve(settings=strict) > before
    assert chain.households() is False
    assert chain.metrics() > 0  # the new profiles' metrics
    after = digest(store, BOOKKEEPING)
    chain.households(full=True)
    chain.metrics(full=True)
    assert digest(store, BOOKKEEPING) == after
