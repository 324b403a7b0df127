"""Households in batch (`idgraph households`, the demo): every active profile grouped, the
golden consent beside it, then every household's Group DNA. Skipped when no writer whose data
it reads has written since its last complete run on the same day with the same rules
(app/store/marks.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.households.dna import CHURN_METRIC, compute_dna
from app.households.resolve import KEPT_IN_SUMMARY, HouseholdSummary, resolve_households
from app.households.rules import Rules, load_rules
from app.metrics.changes import MetricChange
from app.settings import Settings
from app.store import GraphStore, marks

STAGE = "households"  # its StageRun node
# Profiles and their golden records (resolve), records, accounts, identifiers, interactions,
# consent and memberships (loads, real time, stewards, erasure), and the members' churn risk
# (a metrics batch that changed it). Not the rest of what a metrics batch writes.
READS = (marks.OTHER, marks.INGEST, marks.RESOLVE, marks.metric(CHURN_METRIC))


@dataclass
class HouseholdsRun:
    # household_ids and facts are empty when the run was skipped (nothing was read)
    summary: HouseholdSummary
    dna_changes: list[MetricChange] = field(default_factory=list)
    skipped: bool = False


def run_batch(
    store: GraphStore,
    settings: Settings,
    rules: Rules | None = None,
    today: date | None = None,
    say: Callable[[str], None] | None = None,
    progress: Callable[[str, int], None] | None = None,
    full: bool = False,
) -> HouseholdsRun:
    """Group, consent, Group DNA, as one stage. `progress(step, n)`: resolve_households'
    steps, then ("households", n) before Group DNA and ("dna", n) after each of its batches.
    `full`: read everything and compare even if nothing has been written since."""
    rules = rules or load_rules(settings.household_rules_file)
    today = today or date.today()
    tell = progress or (lambda step, n: None)
    with marks.writing_as(store, marks.HOUSEHOLDS), store.batch_stage():
        key = marks.digest(repr(rules), today.isoformat(), settings.model_dump(mode="json"))
        run = marks.check(store, STAGE, READS, key, full)
        if run.last is not None:
            summary = HouseholdSummary(**run.last, kept_ids=run.last["households"])
            if say:
                say(
                    "nothing written since the last households run: "
                    f"{summary.households:,} households as they are"
                )
            return HouseholdsRun(summary, skipped=True)
        summary = resolve_households(store, settings, rules, today, say, progress)
        ids = sorted(summary.household_ids)  # every active household, as written
        tell("households", len(ids))
        changes = compute_dna(
            store,
            settings,
            ids,
            rules,
            today,
            on_batch=lambda n: tell("dna", n),
            facts=summary.facts,
        )
        marks.finished(store, run, {k: getattr(summary, k) for k in KEPT_IN_SUMMARY})
    return HouseholdsRun(summary, changes)
