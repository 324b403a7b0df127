"""Splink (DuckDB backend) baseline for the identity-resolution benchmark: a Fellegi-Sunter
model set up the way Splink's docs do for person data, run in this process so the benchmark
can print our time / Splink time and both sides' F1.

    .venv/bin/python bench/splink_baseline.py --data /tmp/splk [--threshold 0.5] [--labels 0]

`--data` holds `synth/` (generator output, read for truth_records.csv) and `data/` (a store
loaded from it by `idgraph load-dir`). Needs the `bench` extra (splink).
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.blocking_rule_library import CustomRule
from splink.internals.comparison_creator import ComparisonCreator

from app.resolution.columns import ATTRIBUTE_PREFIX, declared

# Our record columns -> the snake_case names of Splink's examples (declared identifiers,
# id_<type>, and compared attributes, attr_<name>, keep their names).
COLUMNS = {
    "firstName": "first_name",
    "middleName": "middle_name",
    "lastName": "surname",
    "dateOfBirth": "dob",
    "email": "email",
    "phone": "phone",
    "postcode": "postcode",
    "city": "city",
    "street": "street",
}


def prediction_rules(have: set[str], ids: list[str]) -> list[Any]:
    """Candidate pairs, as a careful user writes them for the fields the data has: rules on
    fields each pair of sources shares, typos in one field caught by another rule."""
    rules: list[Any] = [
        block_on("first_name", "surname"),
        block_on("substr(first_name, 1, 2)", "surname"),  # also catches first-name typos
        CustomRule("l.first_name = r.surname and l.surname = r.first_name"),  # swapped
    ]
    if "dob" in have:
        rules += [block_on("dob", "surname"), block_on("dob", "first_name")]
    for col in ("email", "phone", *ids):
        if col in have:
            rules.append(block_on(col))
    if "postcode" in have:
        rules += [block_on("postcode", "first_name"), block_on("postcode", "surname")]
    if "street" in have:
        rules.append(block_on("street", "surname"))
        if "postcode" in have:
            rules.append(block_on("street", "postcode"))
    return rules


def training_rules(have: set[str], ids: list[str]) -> list[Any]:
    """EM sessions: every comparison is free in at least one."""
    rules: list[Any] = [block_on("first_name", "surname")]
    if "dob" in have:
        rules.append(block_on("dob"))
    rules += [block_on(i) for i in ids if i in have][:1]
    if "dob" not in have and not ids:
        rules.append(block_on("postcode") if "postcode" in have else block_on("street"))
    return rules


def deterministic_rules(have: set[str], ids: list[str]) -> list[Any]:
    """Rules that admit very few false positives, for the prior probability of a match."""
    rules: list[Any] = [
        block_on("first_name", "surname", "dob")
        if "dob" in have
        else block_on("first_name", "surname")
    ]
    rules += [block_on(c) for c in ("email", *ids) if c in have]
    return rules


DETERMINISTIC_RECALL = 0.6  # share of true pairs those rules are guessed to find
# Random pairs for u. 1e6 and 1e7 gave the same F1 at 11k and 100k records while 1e7 took
# twice as long end to end, so a setting near Splink's tutorial value is the fair one.
U_PAIRS = 2e6
SEED = 42


@dataclass
class SplinkResult:
    seconds: float
    peak_rss_mb: float
    clusters: pd.Series
    pairs_scored: int
    threshold: float
    notes: str
    by_threshold: dict[float, pd.Series] = field(default_factory=dict)


def comparisons(have: set[str], ids: list[str]) -> list[Any]:
    out: list[Any] = [
        cl.ForenameSurnameComparison(
            "first_name", "surname", forename_surname_concat_col_name="full_name"
        )
    ]
    if "middle_name" in have:
        out.append(cl.ExactMatch("middle_initial"))
    if "dob" in have:
        out.append(cl.DateOfBirthComparison("dob", input_is_string=True))
    if "email" in have:
        out.append(cl.EmailComparison("email"))
    if "phone" in have:
        out.append(cl.ExactMatch("phone").configure(term_frequency_adjustments=True))
    if have & {"postcode", "street", "city"}:
        out.append(address(have))
    out += [cl.LevenshteinAtThresholds(i, [1, 2]) for i in ids if i in have]
    # compared attributes (an occupation): exact, a rare value counting for more, as
    # Splink's own example for its historical persons compares the occupation
    attributes = sorted(c for c in have if c.startswith(ATTRIBUTE_PREFIX))
    out += [cl.ExactMatch(a).configure(term_frequency_adjustments=True) for a in attributes]
    return out


def address(have: set[str]) -> ComparisonCreator:
    """Postcode, street and city as one comparison: they move together, and as three
    comparisons (assumed independent) one shared address counted three times, which
    linked members of a household."""
    levels: list[Any] = [
        cll.And(*(cll.NullLevel(c) for c in ("postcode", "street", "city") if c in have))
    ]
    if {"postcode", "street"} <= have:
        levels.append(cll.And(cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("street", 0.9)))
    if "postcode" in have:
        levels.append(cll.ExactMatchLevel("postcode"))
    if {"city", "street"} <= have:
        levels.append(cll.And(cll.ExactMatchLevel("city"), cll.JaroWinklerLevel("street", 0.9)))
    if "city" in have:
        levels.append(cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name="address", comparison_levels=levels)


def settings(have: set[str], ids: list[str], link_only: bool) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only" if link_only else "dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(have, ids),
        blocking_rules_to_generate_predictions=prediction_rules(have, ids),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def splink_input(records: pd.DataFrame) -> pd.DataFrame:
    """Records in Splink's shape: a unique_id column, snake_case names, nulls as None, and
    the cleaning Splink asks of its input (case, spaces) for the free-text fields."""
    ids = [c for c in records.columns if declared(str(c))]  # and compared attributes
    df = records.reindex(columns=[*COLUMNS, *ids]).rename(columns=COLUMNS).astype(object)
    df = df.where(df.notna(), None)
    for col in ("first_name", "middle_name", "surname", "city", "street"):
        df[col] = df[col].map(_clean_text, na_action="ignore")
    df["middle_initial"] = df["middle_name"].map(lambda m: m[:1], na_action="ignore")
    df["full_name"] = [
        f"{f} {s}" if f and s else None for f, s in zip(df.first_name, df.surname, strict=True)
    ]
    df.insert(0, "unique_id", records.index.astype(str))
    df["source_dataset"] = records["source"].to_numpy() if "source" in records else "records"
    return df.reset_index(drop=True)


def _clean_text(value: object) -> str | None:
    return " ".join(str(value).lower().split()) or None


def labelled_pairs(
    truth: pd.Series, ids: pd.Index, n: int, seed: int = SEED, link_only: bool = False
) -> pd.DataFrame:
    """Up to `n` pairs of records of the same person drawn at random from `truth`, as the
    (unique_id_l, unique_id_r) table that Splink's estimate_m_from_pairwise_labels reads
    (link-only: only pairs of two sources)."""
    person = truth.reindex(ids.astype(str)).dropna()
    pairs = [
        (a, b)
        for members in person.groupby(person).groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
        if not link_only or a.split(":", 1)[0] != b.split(":", 1)[0]
    ]
    pick = np.random.default_rng(seed).choice(len(pairs), size=min(n, len(pairs)), replace=False)
    return pd.DataFrame(
        [pairs[i] for i in sorted(pick)], columns=["unique_id_l", "unique_id_r"], dtype=object
    )


@contextmanager
def peak_rss_mb() -> Iterator[list[float]]:
    """Peak RSS of this process (DuckDB runs in it) while the block runs, in MB, in the
    yielded list once the block ends. Sampled rather than read from ru_maxrss, which would
    report whatever ran earlier in the process if that peaked higher."""
    proc = psutil.Process()
    peak = proc.memory_info().rss
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.01):
            peak = max(peak, proc.memory_info().rss)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out = [0.0]
    try:
        yield out
    finally:
        stop.set()
        thread.join()
        out[0] = max(peak, proc.memory_info().rss) / 2**20


def run_splink(
    records: pd.DataFrame,
    truth: pd.Series | None = None,
    threshold: float = 0.5,
    labels: int = 0,
    *,
    u_pairs: float = U_PAIRS,
    link_only: list[str] | None = None,
    also: tuple[float, ...] = (),
) -> SplinkResult:
    """Train (prior from deterministic rules, u by random sampling, m by EM or, when
    `labels` > 0, from that many true pairs drawn from `truth`), score candidate pairs,
    keep those with match probability >= `threshold` and cluster them by connected
    components. Seconds and peak RSS cover all of that; `clusters` is indexed by
    customerId like `records`. With `link_only` (source names) records are linked across
    those sources only. `also`: more thresholds to cluster at (not timed), in `by_threshold`."""
    if labels > 0 and truth is None:
        raise ValueError("labels > 0 needs truth to draw labelled pairs from")
    data = splink_input(records)
    ids = [c for c in data.columns if c.startswith("id_")]
    have = {c for c in data.columns if data[c].notna().any()}
    rss_before = psutil.Process().memory_info().rss / 2**20
    with peak_rss_mb() as peak:
        started = time.perf_counter()
        db_api = DuckDBAPI()
        if link_only:
            tables = [
                db_api.register(
                    data[data["source_dataset"] == src].reset_index(drop=True),
                    dataset_display_name=src,
                )
                for src in link_only
            ]
            linker = Linker(tables, settings(have, ids, True), log_level=logging.WARNING)
        else:
            tables = [db_api.register(data, dataset_display_name="records")]
            linker = Linker(tables[0], settings(have, ids, False), log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            deterministic_rules(have, ids), recall=DETERMINISTIC_RECALL
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=SEED)
        if labels > 0 and truth is not None:
            pairs = labelled_pairs(truth, records.index, labels, link_only=bool(link_only))
            pairs = _with_datasets(pairs, records) if link_only else pairs
            linker.table_management.register_table(pairs, "labels", overwrite=True)
            linker.training.estimate_m_from_pairwise_labels("labels")
            how_m = f"m from {len(pairs):,} labelled pairs"
        else:
            sessions = training_rules(have, ids)
            for rule in sessions:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            how_m = f"m by EM over {len(sessions)} blocking rules"
        low = min((threshold, *also))
        predictions = linker.inference.predict(threshold_match_probability=low)

        def clusters_at(t: float) -> pd.Series:
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, threshold_match_probability=t
            ).as_pandas_dataframe()
            return pd.Series(
                clustered["cluster_id"].astype(str).to_numpy(),
                index=pd.Index(clustered["unique_id"].astype(str), name="customerId"),
                name="cluster",
            ).reindex(records.index.astype(str))

        clusters = clusters_at(threshold)
        seconds = time.perf_counter() - started
    by_threshold = {threshold: clusters, **{t: clusters_at(t) for t in also}}

    # Diagnostics, outside the timed run.
    rules = prediction_rules(have, ids)
    counts = count_comparisons_from_blocking_rules(
        tables if link_only else tables[0],
        blocking_rules=rules,
        link_type="link_only" if link_only else "dedupe_only",
        record_sample_proportion=1.0,
    )
    return SplinkResult(
        seconds=seconds,
        peak_rss_mb=peak[0],
        clusters=clusters,
        pairs_scored=int(counts[-1]["cumulative_comparison_count"]),
        threshold=threshold,
        notes=(
            f"splink {_splink_version()} DuckDB: {len(rules)} blocking rules, "
            f"u from {u_pairs:,.0f} random pairs, {how_m}, connected components at p >= "
            f"{threshold}; process RSS before the run {rss_before:,.0f} MB"
        ),
        by_threshold=by_threshold,
    )


def _with_datasets(pairs: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    source = records["source"].astype(str)
    source.index = records.index.astype(str)
    out = pairs.copy()
    out["source_dataset_l"] = source.reindex(out["unique_id_l"]).to_numpy()
    out["source_dataset_r"] = source.reindex(out["unique_id_r"]).to_numpy()
    return out


def _splink_version() -> str:
    import splink

    return str(splink.__version__)


def load(data: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Records from the store under `data`/data, truth from `data`/synth."""
    from app.resolution.records import load_records
    from app.settings import Settings
    from app.store import open_store

    settings = Settings(data_dir=data / "data")
    with open_store(settings) as store:
        records = load_records(store, settings.read_page)
    t = pd.read_csv(data / "synth" / "truth_records.csv", dtype=str).dropna(subset=["source_key"])
    truth = pd.Series(t.person_id.to_numpy(), index=t.source + ":" + t.source_key)
    return records, truth


def main() -> None:
    from app.resolution.evaluate import bcubed, pairwise

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--labels", type=int, default=0, help="labelled pairs for m (0: EM)")
    ap.add_argument("--u-pairs", type=float, default=U_PAIRS)
    args = ap.parse_args()

    records, truth = load(args.data)
    r = run_splink(records, truth, args.threshold, args.labels, u_pairs=args.u_pairs)
    pw, b3 = pairwise(r.clusters, truth), bcubed(r.clusters, truth)
    print(r.notes)
    print(f"records          {len(records):,}")
    print(f"pairs scored     {r.pairs_scored:,}")
    print(f"seconds          {r.seconds:.1f}")
    print(f"peak RSS MB      {r.peak_rss_mb:,.0f}")
    print(f"pairwise P/R/F1  {pw.precision:.4f} / {pw.recall:.4f} / {pw.f1:.4f}")
    print(f"B-cubed  P/R/F1  {b3.precision:.4f} / {b3.recall:.4f} / {b3.f1:.4f}")


if __name__ == "__main__":
    main()
