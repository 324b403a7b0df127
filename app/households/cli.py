"""`idgraph households`: resolve households, compute Group DNA, optionally evaluate."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from app.households.batch import run_batch
from app.households.evaluate import evaluate_households, household_truth
from app.households.rules import load_rules
from app.progress import stage_progress
from app.settings import Settings
from app.store import open_store


def run_households(
    settings: Settings,
    console: Console,
    truth: Path | None,
    rules_file: Path | None,
    full: bool = False,
) -> None:
    rules = load_rules(rules_file or settings.household_rules_file)
    known = household_truth(truth) if truth else None  # a bad truth file stops before the work
    with open_store(settings) as store, stage_progress(console) as bar:
        store.setup_schema()
        grouped = bar.add_task("households: grouping", total=None, unit="profiles")
        consent = bar.add_task("households: consent", total=None, unit="profiles", start=False)
        dna = bar.add_task("households: Group DNA", total=None, unit="households", start=False)

        def progress(step: str, n: int) -> None:
            if step == "profiles":
                bar.update(grouped, total=n)
                bar.update(consent, total=n)
            elif step == "grouped":
                bar.update(grouped, completed=n)
                bar.start_task(consent)
            elif step == "households":
                bar.start_task(dna)
                bar.update(dna, total=n)
            elif step == "dna":
                bar.advance(dna, n)
            else:
                bar.advance(consent, n)

        done = run_batch(store, settings, rules, say=console.print, progress=progress, full=full)
        scores = evaluate_households(store, known) if known else None
    summary, changes = done.summary, done.dna_changes
    table = Table("measure", "value")
    for k, v in summary.__dict__.items():
        if k in ("household_ids", "facts"):
            continue
        if k == "membership_changes":  # one entry per changed household: counted, not listed
            table.add_row("households with changed members", f"{len(v):,}")
            continue
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    table.add_row("Group DNA changes", f"{len(changes):,}")
    out = Console()
    out.print(table)
    if scores:
        t = Table("households vs truth", "precision", "recall", "F1")
        for label, s in (("record pairs", scores.records), ("profile pairs", scores.profiles)):
            t.add_row(label, f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}")
        out.print(t)
        out.print(
            f"decision-maker accuracy {scores.decision_maker_accuracy:.4f} over "
            f"{scores.decision_maker_households:,} true households of 2+ people "
            f"({scores.households_found:,} households found, {scores.true_households:,} true)"
        )
