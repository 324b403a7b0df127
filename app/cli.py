"""Command line: `idgraph synth | ingest | load-dir | serve | schema | stats | cypher | ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.errors import IdGraphError
from app.settings import get_settings

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
console = Console(stderr=True)


@cli.command()
def schema() -> None:
    """Create missing constraints and indexes in the configured store."""
    from app.store import open_store

    with open_store(get_settings()) as store:
        created = store.setup_schema()
    console.print(f"schema ready ({len(created)} created)")


@cli.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, JSON Lines or Parquet file")],
    source: Annotated[str, typer.Option(help="source system name, e.g. crm")],
    mapping: Annotated[Path | None, typer.Option(help="YAML mapping of columns")] = None,
    kind: Annotated[str | None, typer.Option(help="customers or interactions")] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Load one source file into the graph (idempotent)."""
    from app.ingestion.loader import ingest_file
    from app.ingestion.mapping import KINDS, load_mapping
    from app.store import open_store

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")
    settings = get_settings()
    m = load_mapping(mapping, source) if mapping else None
    with open_store(settings) as store:
        store.setup_schema()
        summary = ingest_file(
            store,
            file,
            source,
            settings,
            mapping=m,
            kind=kind,
            show_progress=progress,
        )
    _print_summaries([summary.as_dict()])


@cli.command("load-dir")
def load_dir(
    directory: Annotated[Path, typer.Argument(help="folder written by `idgraph synth`")],
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Load every <source>_customers / <source>_interactions file of a folder."""
    from app.ingestion.batch import load_directory
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        store.setup_schema()
        summaries = load_directory(store, directory, settings, show_progress=progress)
    _print_summaries([s.as_dict() for s in summaries])


@cli.command()
def synth(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("data/synth"),
    people: Annotated[int, typer.Option(help="number of people")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    mess: Annotated[float, typer.Option(help="0 clean, 1 default, 2 very messy")] = 1.0,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet")] = "csv",
) -> None:
    """Generate synthetic customers across source systems, with ground truth."""
    from app.synth import SynthConfig, generate

    if fmt not in ("csv", "jsonl", "parquet"):
        raise typer.BadParameter("--format must be csv, jsonl or parquet")
    summary = generate(SynthConfig(people=people, seed=seed, mess=mess), out, fmt, progress=True)  # type: ignore[arg-type]
    console.print(f"wrote {len(summary.files)} files to {out} in {summary.seconds:.1f}s")


@cli.command()
def train(
    labels: Annotated[Path | None, typer.Option(help="labelled pairs (dedupe JSON)")] = None,
    from_truth: Annotated[
        Path | None, typer.Option(help="truth_records.csv: draw labelled pairs from it")
    ] = None,
    pairs: Annotated[int | None, typer.Option(help="labelled pairs to draw from truth")] = None,
    seed: Annotated[int, typer.Option(help="random seed for drawing pairs")] = 0,
) -> None:
    """Learn the match model from labelled pairs and save it (versioned) in the data folder."""
    from app.resolution.blocking import candidate_pairs
    from app.resolution.model import Labels
    from app.resolution.model import train as fit
    from app.resolution.records import load_records
    from app.resolution.truth import active_labels_from_truth, read_truth
    from app.store import open_store

    settings = get_settings()
    if (labels is None) == (from_truth is None):
        raise typer.BadParameter("give exactly one of --labels or --from-truth")
    if from_truth is not None:
        with open_store(settings) as store:
            records = load_records(store)
        drawn = active_labels_from_truth(
            records, candidate_pairs(records), read_truth(from_truth),
            pairs or settings.training_pairs, seed,
        )  # fmt: skip
        drawn.save(settings.labels_file)
        console.print(f"drew {len(drawn)} labelled pairs into {settings.labels_file}")
        training = drawn
    else:
        assert labels is not None
        training = Labels.load(labels)
    model = fit(training, seed)
    model.save(settings.model_file)
    console.print(f"model {model.version} trained on {len(training)} pairs: {settings.model_file}")


@cli.command()
def resolve() -> None:
    """Block, score and cluster every customer; write MATCHES edges and profiles."""
    from app.resolution.batch import resolve as run
    from app.resolution.model import MatchModel
    from app.store import open_store

    settings = get_settings()
    model = MatchModel.load(settings.model_file)
    with open_store(settings) as store:
        store.setup_schema()
        summary = run(store, settings, model, console)
    table = Table("measure", "value")
    for k, v in summary.__dict__.items():
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    Console().print(table)


@cli.command()
def upsert(
    source: Annotated[str, typer.Argument(help="source system, e.g. crm")],
    fields: Annotated[list[str], typer.Argument(help="canonical field=value pairs")],
) -> None:
    """Load one record and resolve it in real time (join, bridge or found a profile)."""
    import json as _json

    from app.resolution.model import MatchModel
    from app.resolution.realtime import upsert_record
    from app.store import open_store

    record: dict[str, str] = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not field=value")
        record[key.strip()] = value
    settings = get_settings()
    model = MatchModel.load(settings.model_file)
    with open_store(settings) as store:
        result = upsert_record(store, settings, model, source, record)
    Console().print_json(_json.dumps(result.__dict__))


@cli.command()
def evaluate(
    truth: Annotated[Path, typer.Option(help="truth_records.csv")],
    thresholds: Annotated[str, typer.Option(help="comma-separated")] = "0.2,0.35,0.5,0.7,0.9",
) -> None:
    """Pairwise and B-cubed precision, recall and F1 of the profiles against ground truth."""
    from app.resolution.evaluation import evaluate_store
    from app.resolution.truth import read_truth
    from app.store import open_store

    levels = [float(t) for t in thresholds.split(",") if t.strip()]
    with open_store(get_settings()) as store:
        rows = evaluate_store(store, read_truth(truth), levels)
    table = Table("clustering", "precision", "recall", "F1", "B3 precision", "B3 recall", "B3 F1")
    for r in rows:
        p, b = r.pairwise, r.bcubed
        table.add_row(r.label, *(f"{x:.4f}" for x in (p.precision, p.recall, p.f1,
                                                       b.precision, b.recall, b.f1)))  # fmt: skip
    Console().print(table)


@cli.command()
def households(
    truth: Annotated[
        Path | None,
        typer.Option(help="truth_records.csv (truth_people.csv beside it): evaluate"),
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="YAML household rules")] = None,
) -> None:
    """Group profiles into households, choose decision-makers, compute Group DNA."""
    from app.households.cli import run_households

    run_households(get_settings(), console, truth, rules)


@cli.command()
def metrics(
    now: Annotated[
        str | None,
        typer.Option(help="compute windows as of this ISO time, or 'latest' (newest event)"),
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Recompute every profile's Customer DNA metrics (batch) and pass changes to alerts."""
    from app.api.metrics import pass_to_alerts
    from app.metrics.batch import resolve_now, run_batch
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        summary = run_batch(store, settings, resolve_now(store, now), console, progress)
        raised = pass_to_alerts(store, settings, summary.changes)
    console.print(
        f"{summary.metrics} metrics on {summary.profiles:,} profiles in {summary.seconds:.1f}s: "
        f"{len(summary.changes):,} changed values on {summary.profiles_written:,} profiles; "
        f"{raised:,} alerts raised"
    )


@cli.command("fit-model")
def fit_model(
    name: Annotated[str, typer.Option(help="the model metric to define")] = "purchasePropensity",
    target: Annotated[str, typer.Option(help="interaction types to predict")] = "purchase,pos",
    horizon: Annotated[str, typer.Option(help="predict this far ahead, e.g. 30d")] = "30d",
    features: Annotated[
        str | None, typer.Option(help="comma-separated metrics (default: all numeric ones)")
    ] = None,
    now: Annotated[str | None, typer.Option(help="ISO time or 'latest' (newest event)")] = None,
) -> None:
    """Train a propensity model on the graph's own history and define its metric."""
    from app.metrics.batch import fit_model as fit
    from app.metrics.batch import resolve_now
    from app.store import open_store

    settings = get_settings()
    targets = tuple(t.strip() for t in target.split(",") if t.strip())
    chosen = tuple(f.strip() for f in features.split(",") if f.strip()) if features else None
    with open_store(settings) as store:
        model, auc, n, _ = fit(
            store, settings, name, targets, horizon, chosen, resolve_now(store, now)
        )
    console.print(
        f"model {model.version} for metric {name}: {len(model.features)} features, "
        f"{n:,} profiles, held-out AUC {auc:.3f}; run `idgraph metrics` to score"
    )


@cli.command()
def stats() -> None:
    """Node and relationship counts of the configured store."""
    from app.store import open_store

    with open_store(get_settings()) as store:
        table = Table("label / type", "count")
        for row in store.read("graph_counts"):
            table.add_row(str(row["label"]), f"{row['n']:,}")
        for row in store.read("relationship_counts"):
            table.add_row(f"[{row['type']}]", f"{row['n']:,}")
    Console().print(table)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    demo: Annotated[bool, typer.Option(help="load demo data into an empty store")] = True,
) -> None:
    """Serve GraphQL (and GraphiQL) over HTTP; an empty embedded store gets demo data."""
    import uvicorn

    from app.api.app import create_app
    from app.demo import ensure_demo_data

    settings = get_settings()
    if demo:
        ensure_demo_data(settings)
    host, port = host or settings.host, port or settings.port
    console.print(f"GraphiQL:  http://{host}:{port}/graphql")
    console.print(f"Health:    http://{host}:{port}/health")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@cli.command()
def alerts(
    status: Annotated[str | None, typer.Option(help="open or acknowledged")] = None,
    entity: Annotated[str | None, typer.Option(help="a profileId or householdId")] = None,
    limit: Annotated[int, typer.Option(help="newest this many")] = 50,
) -> None:
    """List fired alerts, newest first, with their webhook deliveries."""
    from app.alerts.cli import print_alerts
    from app.store import open_store

    with open_store(get_settings()) as store:
        store.setup_schema()  # also creates an empty graph, which reads need
        print_alerts(store, status, entity, limit)


@cli.command()
def deliver(
    loop: Annotated[bool, typer.Option(help="keep delivering until Ctrl-C")] = False,
) -> None:
    """Post due webhook deliveries once (for cron), or keep at it with --loop."""
    from app.alerts.cli import run_deliveries
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        store.setup_schema()
        run_deliveries(store, settings, console, loop)


@cli.command("export-neo4j-import")
def export_neo4j_import(
    directory: Annotated[Path, typer.Argument(help="an empty folder for the CSV files")],
    import_path: Annotated[
        str | None,
        typer.Option(help="the folder as neo4j-admin sees it, e.g. /import/idgraph in Docker"),
    ] = None,
    database: Annotated[str, typer.Option(help="the Neo4j database to create")] = "neo4j",
    overwrite: Annotated[
        bool, typer.Option(help="replace that database if it exists (its data is lost)")
    ] = False,
) -> None:
    """Write the store's graph as neo4j-admin import CSVs and print the import command
    (a first load of Neo4j in bulk; docs/neo4j.md)."""
    from app.export import export_neo4j_import as export
    from app.store import open_store

    with open_store(get_settings()) as store:
        summary = export(store, directory, import_path, database, overwrite)
    table = Table("label / type", "count")
    for label, n in summary.nodes.items():
        table.add_row(label, f"{n:,}")
    for rel_type, n in summary.relationships.items():
        table.add_row(f"[{rel_type}]", f"{n:,}")
    Console().print(table)
    for note in summary.notes:
        console.print(f"note: {note}")
    console.print(f"CSV files and import.sh in {directory}; with Neo4j stopped, run:")
    print(summary.command)


@cli.command("cypher")
def cypher_prompt(
    command: Annotated[
        str | None, typer.Option("-c", "--command", help="run this query and exit")
    ] = None,
    run: Annotated[
        str | None, typer.Option("--run", help="run this curated query (see :queries) and exit")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("-p", "--param", help="NAME=EXPRESSION, e.g. -p \"profileId='PR-1'\""),
    ] = None,
) -> None:
    """Read-only Cypher on the configured store: a prompt printing tables, or one query."""
    from app.explore import Session, prompt
    from app.store import open_store

    with open_store(get_settings()) as store:
        session = Session(store, Console(soft_wrap=True))
        for item in param or []:
            name, sep, expression = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"{item!r} is not NAME=EXPRESSION")
            session.set_param(name.strip(), expression)
        if command is not None:
            session.run(command.strip().removesuffix(";"))
        elif run is not None:
            session.run_curated(run)
        else:
            prompt(session)


def _print_summaries(rows: list[dict[str, object]]) -> None:
    table = Table("file", "kind", "read", "loaded", "quarantined", "seconds", "rows/s")
    for r in rows:
        table.add_row(
            Path(str(r["file"])).name,
            str(r["kind"]),
            f"{r['rows_read']:,}",
            f"{r['rows_loaded']:,}",
            f"{r['rows_quarantined']:,}",
            f"{r['seconds']:.2f}",
            f"{r['rows_per_second']:,.0f}",
        )
    Console().print(table)
    for r in rows:
        if r["quarantine_file"]:
            console.print(
                f"quarantined rows of {Path(str(r['file'])).name}: {r['quarantine_file']}"
            )


def main() -> None:
    try:
        cli()
    except IdGraphError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise SystemExit(2) from exc
