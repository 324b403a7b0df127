"""Demo data: an empty store gets a generated data set on first start, so there is
something to query."""

from __future__ import annotations

from rich.console import Console

from app.ingestion.batch import load_directory
from app.settings import Settings
from app.store import open_store
from app.synth import SynthConfig, generate

console = Console(stderr=True)


def ensure_demo_data(settings: Settings) -> bool:
    """Generate and load the demo set if the store has no customers. True if it loaded."""
    with open_store(settings) as store:
        store.setup_schema()
        if store.read("customer_count")[0]["n"] > 0:
            return False
        out = settings.data_dir / "demo"
        console.print(f"empty store: generating {settings.demo_people:,} demo people into {out}")
        generate(SynthConfig(people=settings.demo_people, seed=settings.demo_seed), out, "csv")
        for s in load_directory(store, out, settings, show_progress=True):
            console.print(
                f"  {s.source} {s.kind}: {s.rows_loaded:,} loaded, "
                f"{s.rows_quarantined:,} quarantined"
            )
        return True
