"""Demo data: an empty store gets a generated data set on first start, so there is
something to query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console

from app.flows import resolve_all
from app.ingestion.batch import load_directory
from app.resolution.learning import learn
from app.settings import Settings
from app.store import GraphStore, open_store
from app.synth import SynthConfig, generate

console = Console(stderr=True)


def ensure_demo_data(settings: Settings) -> bool:
    """Generate and load the demo set if the store has no customers. True if it loaded."""
    with open_store(settings) as store:
        store.setup_schema()
        if store.read("customer_count")[0]["n"] > 0:
            return False
        out = settings.data_dir / "demo"
        start = demo_start(settings)
        console.print(
            f"empty store: generating {settings.demo_people:,} demo people into {out} "
            f"(interactions from {start} for a year)"
        )
        config = SynthConfig(people=settings.demo_people, seed=settings.demo_seed, start=start)
        generate(config, out, "csv")
        for s in load_directory(store, out, settings, show_progress=True):
            console.print(
                f"  {s.source} {s.kind}: {s.rows_loaded:,} loaded, "
                f"{s.rows_quarantined:,} quarantined"
            )
        _resolve_demo(store, settings, out / "truth_records.csv")
        _demo_metrics(store, settings)
        return True


def demo_start(settings: Settings) -> date:
    """IDGRAPH_DEMO_START, else 365 days before today (UTC): the demo's year ends today."""
    if settings.demo_start is not None:
        return settings.demo_start
    return datetime.now(UTC).date() - timedelta(days=365)


def _resolve_demo(store: GraphStore, settings: Settings, truth_file: Path) -> None:
    """Train the match model (with labelled pairs drawn from the demo's ground truth, as a
    team with a few hundred labels would) and resolve profiles, so the demo shows profiles
    and match edges, not only source records."""
    model = learn(store, settings, truth_file=truth_file).model
    model.save(settings.model_file)
    summary = resolve_all(store, settings, model)
    console.print(
        f"  resolved {summary.records:,} records into {summary.profiles:,} profiles "
        f"({summary.match_edges:,} match edges; model {model.version})"
    )
    from app.households.batch import run_batch

    homes = run_batch(store, settings).summary
    console.print(f"  grouped them into {homes.households:,} households")


def _demo_metrics(store: GraphStore, settings: Settings) -> None:
    """Customer DNA for every profile, as of the newest demo interaction: today, unless
    IDGRAPH_DEMO_START put the demo's year in the past (windows ending today would be empty)."""
    from app.metrics.batch import resolve_now, run_batch

    summary = run_batch(store, settings, resolve_now(store, "latest"), console)
    console.print(
        f"  computed {summary.metrics} metrics for {summary.profiles:,} profiles "
        f"in {summary.seconds:.1f}s"
    )
