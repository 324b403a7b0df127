"""The resolution commands of `idgraph`: train, label, resolve, evaluate, upsert. app/cli.py
declares them; these functions run them and print what a user needs to judge the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from app.resolution.columns import IDENTIFIER_PREFIX
from app.settings import Settings

# How a field whose values may be too common to be evidence is named (common.common_values)
COMMON_LABELS = {"dob": "date of birth", "email": "e-mail", "phone": "phone"}


def _weights(console: Console, learned: Any) -> None:
    model, report = learned.model, learned.report
    before = learned.previous.comparisons if learned.previous else None
    old = {c.name: c.weights for c in before} if before else report.weights_before
    old_tf = {c.name: c.tf for c in before} if before else {}
    table = Table("field", "level", "before", "after", title="match weights (log-odds)")
    for comp, spec in zip(model.comparisons, model.specs(), strict=True):
        prior = old.get(comp.name)
        for k, (level, w) in enumerate(zip(spec.levels, comp.weights, strict=True)):
            was = f"{prior[k]:+.2f}" if prior is not None and k < len(prior) else "-"
            table.add_row(spec.label if k == 0 else "", level, was, f"{w:+.2f}")
        if comp.name in model.term_frequencies:
            was_tf = old_tf.get(comp.name)
            table.add_row(
                "",
                "share of the value-frequency adjustment",
                "-" if was_tf is None else f"{was_tf:.2f}",
                f"{comp.tf:.2f}",
            )
        was_household = learned.previous.household.get(comp.name) if learned.previous else None
        for k, extra in enumerate(model.household.get(comp.name, ())):
            if extra:
                was = "-" if not was_household else f"{was_household[k]:+.2f}"
                table.add_row("", f"{spec.levels[k]}: added in a family", was, f"{extra:+.2f}")
    console.print(table)


def run_train(
    settings: Settings,
    console: Console,
    *,
    labels: Path | None,
    from_truth: Path | None,
    pairs: int | None,
    seed: int,
    link_only: list[str] | None,
    stewards: bool,
) -> None:
    from app.progress import stage_progress
    from app.resolution.learning import LEARN_STEPS, learn
    from app.store import open_store

    with open_store(settings) as store, stage_progress(console) as bar:
        task = bar.add_task("train", total=len(LEARN_STEPS), unit="")

        def step(what: str) -> None:
            bar.update(task, completed=LEARN_STEPS.index(what), description=f"train: {what}")

        learned = learn(
            store,
            settings,
            labels_file=labels,
            truth_file=from_truth,
            pairs=pairs,
            seed=seed,
            stewards=stewards,
            link_only=link_only,
            step=step,
        )
        bar.update(task, completed=len(LEARN_STEPS), description="train: done")
    learned.model.save(settings.model_file)
    print_training(Console(), learned, settings)


def common_lines(found: dict[str, dict[str, int]], shown: int = 5) -> list[str]:
    """The values training found too common to be evidence, a line per field: the
    commonest `shown` with how many records hold them."""
    out = []
    for name, held in found.items():
        label = COMMON_LABELS.get(name, name.removeprefix(IDENTIFIER_PREFIX))
        top = sorted(held.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{_shown(name, v)} ({n:,} records)" for v, n in top[:shown])
        more = f" and {len(top) - shown} more" if len(top) > shown else ""
        out.append(f"  too common to be evidence, compared as missing: {label} {listed}{more}")
    return out


def _shown(name: str, value: str) -> str:
    """A value as the records hold it: a date of birth as YYYY-MM-DD (fields compare it
    without the hyphens)."""
    if name == "dob" and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def print_training(out: Console, learned: Any, settings: Settings) -> None:
    """What a training run learned: labels by source, EM sessions, blocking rules, weights
    before and after, estimated and held-out quality."""
    model, report = learned.model, learned.report
    sampled = f" (a sample of {learned.sampled:,})" if learned.sampled < learned.records else ""
    out.print(
        f"trained on {learned.records:,} records{sampled}: {report.comparisons} comparisons, "
        f"{model.mode}, labels {report.labels or 'none'}"
    )
    for s in report.sessions:
        out.print(
            f"  EM session on {s['rule']}: {s['pairs']:,} pairs, {s['matchShare']:.1%} "
            f"matches, learned {', '.join(s['learned'])}"
        )
    for line in common_lines(model.report.get("commonValues") or {}):
        out.print(line, markup=False)
    if model.household:
        out.print(
            f"  families: {report.family_pairs:,} pairs sharing a surname, first names "
            f"{' or '.join(model.family_first_names)}, learned what families share of "
            f"{', '.join(model.household)}"
        )
    rules = Table(
        "blocking rule",
        "pairs (training records)",
        "expected pair recall",
        title=f"blocking: {len(model.rules)} of {report.candidate_rules} rules",
    )
    for r in report.chosen_rules:
        rules.add_row(r["rule"], f"{r['pairs']:,}", f"{r['expectedRecall']:.4f}")
    out.print(rules)
    sample = (
        f" (a sample of {report.scored_pairs:,} of them scored)"
        if report.scored_pairs < report.pool_pairs
        else ""
    )
    out.print(
        f"estimated pair recall of the chosen rules: {report.estimated_pair_recall:.4f} of "
        f"the matches the model expects among all {report.pool_pairs:,} candidate pairs"
        f"{sample}"
    )
    _weights(out, learned)
    est = report.estimated
    out.print(
        f"estimated at threshold {settings.match_threshold}: precision {est['precision']:.4f}, "
        f"recall {est['recall']:.4f} ({est['matches']:,.0f} matches expected)"
    )
    if report.held_out:
        h = report.held_out
        out.print(
            f"held-out steward labels ({h['pairs']}): precision {h['precision']:.4f}, "
            f"recall {h['recall']:.4f}, F1 {h['f1']:.4f}"
        )
    out.print(
        f"model {model.version} saved to {settings.model_file} in {report.seconds['total']:.1f}s"
    )


def run_resolve(settings: Settings, console: Console, full: bool = False) -> None:
    from app.flows import resolve_all
    from app.resolution.model import MatchModel
    from app.store import open_store

    model = MatchModel.load(settings.model_file)
    with open_store(settings) as store:
        store.setup_schema()
        summary = resolve_all(store, settings, model, console, full)
    table = Table("measure", "value")
    for k, v in summary.as_dict().items():
        if isinstance(v, dict) and k != "seconds":
            for kk, vv in v.items():
                table.add_row(f"{k}: {kk}", f"{vv:,}")
        else:
            table.add_row(k, f"{v:,}" if isinstance(v, int) else json.dumps(v))
    Console().print(table)
    last = settings.data_dir / "model" / "last-resolve.json"
    last.parent.mkdir(parents=True, exist_ok=True)
    last.write_text(json.dumps(summary.as_dict(), indent=1))


def run_evaluate(settings: Settings, truth: Path, thresholds: list[float]) -> None:
    from app.resolution.evaluation import evaluate_store
    from app.resolution.truth import read_truth
    from app.store import open_store

    with open_store(settings) as store:
        result = evaluate_store(store, settings, read_truth(truth), thresholds)
    out = Console()
    table = Table("clustering", "precision", "recall", "F1", "B3 precision", "B3 recall", "B3 F1")
    for r in result.rows:
        p, b = r.pairwise, r.bcubed
        table.add_row(
            r.label,
            *(f"{x:.4f}" for x in (p.precision, p.recall, p.f1, b.precision, b.recall, b.f1)),
        )
    out.print(table)
    out.print(
        f"{result.records:,} records in the truth file; {result.missing:,} not in the graph "
        "(quarantined or never loaded) count as profiles of their own"
    )
    last = settings.data_dir / "model" / "last-resolve.json"
    if last.exists():
        churn = json.loads(last.read_text()).get("churn", {})
        out.print(
            "ID churn of the last resolve: "
            + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in churn.items())
        )
