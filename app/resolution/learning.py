"""Training from what the store holds: the records (a uniform sample beyond the training
sample size), their declared identifiers, stewards' decisions, and optionally a labels file
or a truth file to draw labelled pairs from. The CLI, the demo and the benchmarks all train
through `learn`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.errors import ConfigError
from app.gcpause import gc_paused
from app.ingestion.identifiers import compared_attributes, identifier_types
from app.resolution.labels import load_file, save_id_pairs, steward_labels
from app.resolution.model import MatchModel
from app.resolution.records import load_records
from app.resolution.training import Labelled, TrainingSet, TrainReport, train
from app.resolution.truth import active_labels, read_truth
from app.resolution.unsupervised import unsupervised_start
from app.settings import Settings
from app.store import GraphStore

# What `learn` tells its `step` callback, in order (a progress display counts them).
LEARN_STEPS = (
    "reading records",
    "comparing candidate pairs",
    "estimating weights without labels",
    "fitting the model",
)


@dataclass
class Learned:
    model: MatchModel
    report: TrainReport
    records: int  # records in the store
    sampled: int  # records trained on
    previous: MatchModel | None = None  # the model this one replaces, if any


def sample(records: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """At most `size` records, uniformly (pairs of one person keep their share of pairs)."""
    if len(records) <= size:
        return records
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(records), size=size, replace=False))
    return records.iloc[keep]


@gc_paused()
def learn(
    store: GraphStore,
    settings: Settings,
    *,
    labels_file: Path | None = None,
    truth_file: Path | None = None,
    pairs: int | None = None,
    seed: int = 0,
    stewards: bool = True,
    link_only: list[str] | None = None,
    step: Callable[[str], None] | None = None,
) -> Learned:
    """Train a model on the store's records: without labels, or with stewards' decisions,
    a labels file and pairs drawn from a truth file (saved to data/model/truth-labels.json,
    apart from everything a person decided). `step(what)` as each of the LEARN_STEPS
    begins."""
    say = step or (lambda what: None)
    say("reading records")
    everything = load_records(store, settings.read_page)
    records = sample(everything, settings.training_sample, seed)
    say("comparing candidate pairs")
    link = settings.link_only if link_only is None else link_only
    ts = TrainingSet.build(
        records,
        identifier_types(store),
        link,
        settings.common_value_factor,
        compared_attributes(store),
    )
    labelled: list[Labelled] = []
    if stewards:
        labelled.append(steward_labels(store, ts))
    if labels_file is not None:
        labelled += load_file(labels_file, ts)
    say("estimating weights without labels")
    begun = unsupervised_start(
        ts,
        cap=settings.block_cap,
        seed=seed,
        workers=settings.resolve_workers,
        pool_pairs=settings.training_pool_pairs,
    )
    say("fitting the model")
    if truth_file is not None:
        drawn = active_labels(
            ts,
            read_truth(truth_file),
            pairs or settings.training_pairs,
            seed,
            settings.block_cap,
            begun=begun,
        )
        save_id_pairs(settings.truth_labels_file, drawn, ts)
        labelled.append(drawn)
    model, report = train(
        ts,
        [lab for lab in labelled if len(lab)],
        cap=settings.block_cap,
        seed=seed,
        threshold=settings.match_threshold,
        workers=settings.resolve_workers,
        begun=begun,
    )
    model.link_only = list(link)
    previous = None
    if settings.model_file.exists():
        try:
            previous = MatchModel.load(settings.model_file)
        except ConfigError:  # an old or broken model is simply replaced
            previous = None
    return Learned(model, report, len(everything), len(records), previous)
