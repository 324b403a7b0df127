"""Command line: `idgraph synth | ingest | load-dir | serve | schema | stats | cypher | ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from app import cli_store as store_cli
from app.access.cli import keys_cli
from app.cli_common import ACTOR_HELP, FULL_HELP, cli_actor, console, name_values
from app.errors import IdGraphError
from app.privacy import cli as privacy_cli
from app.settings import Settings, get_settings

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


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


def _sources(text: str | None) -> list[str] | None:
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


@cli.command()
def train(
    labels: Annotated[
        Path | None, typer.Option(help="labelled pairs: customerId pairs or dedupe JSON records")
    ] = None,
    from_truth: Annotated[
        Path | None, typer.Option(help="truth_records.csv: draw labelled pairs from it")
    ] = None,
    pairs: Annotated[int | None, typer.Option(help="labelled pairs to draw from truth")] = None,
    seed: Annotated[int, typer.Option(help="random seed (sampling, drawing pairs)")] = 0,
    link_only: Annotated[
        str | None, typer.Option(help="link these sources only, e.g. crm,web (never within one)")
    ] = None,
    stewards: Annotated[bool, typer.Option(help="learn from stewards' decisions")] = True,
    active: Annotated[
        int,
        typer.Option(
            help="first label this many pairs the current model is least sure of "
            "(as `idgraph label`), then train"
        ),
    ] = 0,
    actor: Annotated[str | None, typer.Option(help="with --active: " + ACTOR_HELP)] = None,
) -> None:
    """Learn the match model from the records: without labels (EM), refined by stewards'
    decisions, a labels file or pairs drawn from a truth file; choose blocking rules.
    Labels are combined, never overwritten: stewards' decisions stay in the graph, drawn
    pairs go to data/model/truth-labels.json, a labels file is only read."""
    from app.resolution.cli import run_train

    if active:
        from app.resolution.labelling import run_label

        run_label(get_settings(), console, active, cli_actor(actor))
    run_train(
        get_settings(),
        console,
        labels=labels,
        from_truth=from_truth,
        pairs=pairs,
        seed=seed,
        link_only=_sources(link_only),
        stewards=stewards,
    )


@cli.command()
def resolve(
    link_only: Annotated[
        str | None, typer.Option(help="link these sources only (default: as the model was trained)")
    ] = None,
    one_to_one: Annotated[
        bool, typer.Option(help="link-only: at most one record per source in a profile")
    ] = False,
    full: Annotated[bool, typer.Option(help=FULL_HELP)] = False,
) -> None:
    """Block, score and cluster every customer; write MATCHES edges and profiles."""
    from app.resolution.cli import run_resolve

    settings = get_settings()
    update: dict[str, object] = {"one_to_one": one_to_one or settings.one_to_one}
    if link_only:
        update["link_only"] = _sources(link_only)
    run_resolve(settings.model_copy(update=update), console, full)


@cli.command()
def label(
    pairs: Annotated[int, typer.Option(help="pairs to ask about")] = 20,
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Label the pairs the model is least sure of, in the terminal: y(es), n(o), u(nsure),
    f(inished). Answers are steward decisions: they apply at once and train the model."""
    from app.resolution.labelling import run_label

    run_label(get_settings(), console, pairs, cli_actor(actor))


@cli.command()
def upsert(
    source: Annotated[str, typer.Argument(help="source system, e.g. crm")],
    fields: Annotated[
        list[str],
        typer.Argument(
            help="field=value pairs, a canonical field or a declared identifier type; "
            "field= clears one"
        ),
    ],
    attribute: Annotated[
        list[str] | None,
        typer.Option(help="name=value, an attribute (repeat for more); name= clears one"),
    ] = None,
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Load one record and resolve it in real time, then its profile's metrics, household
    and alerts (the same flow as GraphQL upsertCustomerRecord). A known record changes only
    in the fields, identifiers and attributes given (docs/api.md, partial updates)."""
    import json as _json

    from app import flows
    from app.ingestion.rows import attr_property
    from app.resolution.model import MatchModel
    from app.store import open_store

    record = dict(name_values(fields))
    given = name_values(attribute or [], "name=value (--attribute)")
    record.update((attr_property(name), value) for name, value in given)
    settings = get_settings()
    model = MatchModel.load(settings.model_file)
    with open_store(settings) as store:
        done = flows.upsert(store, settings, model, source, record, cli_actor(actor))
    Console().print_json(_json.dumps({**done.result.__dict__, "alertsRaised": done.alerts}))


@cli.command()
def account(
    account_id: Annotated[str, typer.Argument(help="an account the graph holds")],
    attributes: Annotated[
        list[str],
        typer.Argument(help="name=value pairs, e.g. planMb=5000; name= removes one"),
    ],
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Set attributes of an account (a plan's data allowance, a product), then the Group DNA
    of its holders' households and the alerts (the same flow as GraphQL updateAccount)."""
    import json as _json

    from app.accounts import update_account
    from app.store import open_store

    values = [(n, v or None) for n, v in name_values(attributes, "name=value")]
    settings = get_settings()
    with open_store(settings) as store:
        done = update_account(store, settings, account_id, values, cli_actor(actor))
    out = {
        "accountId": done.account_id,
        "attributes": done.attributes,
        "householdIds": done.households,
        "changes": [c.metric for c in done.changes],
        "alertsRaised": done.alerts,
    }
    Console().print_json(_json.dumps(out))


@cli.command()
def evaluate(
    truth: Annotated[Path, typer.Option(help="truth_records.csv")],
    thresholds: Annotated[str, typer.Option(help="comma-separated")] = "0.3,0.5,0.7,0.9",
) -> None:
    """Pairwise and B-cubed precision, recall and F1 of the profiles against ground truth,
    and of the same clustering at other thresholds."""
    from app.resolution.cli import run_evaluate

    levels = [float(t) for t in thresholds.split(",") if t.strip()]
    run_evaluate(get_settings(), truth, levels)


@cli.command()
def households(
    truth: Annotated[
        Path | None,
        typer.Option(help="truth_records.csv (truth_people.csv beside it): evaluate"),
    ] = None,
    rules: Annotated[Path | None, typer.Option(help="YAML household rules")] = None,
    full: Annotated[bool, typer.Option(help=FULL_HELP)] = False,
) -> None:
    """Group profiles into households, choose decision-makers, compute Group DNA."""
    from app.households.cli import run_households

    run_households(get_settings(), console, truth, rules, full)


@cli.command()
def metrics(
    now: Annotated[
        str | None,
        typer.Option(help="compute windows as of this ISO time, or 'latest' (newest event)"),
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    full: Annotated[bool, typer.Option(help=FULL_HELP)] = False,
) -> None:
    """Recompute every profile's Customer DNA metrics (batch) and pass changes to alerts."""
    from app.flows import metrics_batch
    from app.metrics.batch import resolve_now
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        when = resolve_now(store, now)
        summary, raised = metrics_batch(store, settings, when, console, progress, full)
    console.print(
        f"{summary.metrics} metrics on {summary.profiles:,} profiles in {summary.seconds:.1f}s: "
        f"{summary.changed_values:,} changed values on {summary.profiles_written:,} profiles; "
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
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
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
            store,
            settings,
            name,
            targets,
            horizon,
            chosen,
            resolve_now(store, now),
            actor=cli_actor(actor),
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
    workers: Annotated[
        int | None, typer.Option(help="server processes over one store (IDGRAPH_WORKERS, 1)")
    ] = None,
) -> None:
    """Serve GraphQL (and GraphiQL) over HTTP; an empty embedded store gets demo data."""
    from app.api.serving import serve as run_server
    from app.demo import ensure_demo_data

    if workers is not None and workers < 1:
        raise typer.BadParameter("--workers must be 1 or more")
    settings = get_settings()
    if demo:
        ensure_demo_data(settings)
    host, port = host or settings.host, port or settings.port
    if settings.admin_key_on_first_start:
        _first_admin_key(settings, f"http://{host}:{port}")
    console.print(f"GraphiQL:  http://{host}:{port}/graphql (sign in with an API key)")
    console.print(f"Health:    http://{host}:{port}/health")
    run_server(settings, host, port, workers or settings.workers)


def _first_admin_key(settings: Settings, url: str) -> None:
    """On first start (no usable admin key yet): make a local admin key and print it once."""
    from app.access.keys import ensure_admin_key
    from app.access.roles import Roles
    from app.store import open_store

    with open_store(settings) as store:
        store.setup_schema()
        key = ensure_admin_key(store, Roles.configured(settings.roles, settings.role_names), 365)
    if key is None:
        return
    # On stdout, alone on its line: scripts read it from there. Shown this once.
    console.print(
        f"A local admin key was made (expires {key.expires_at}); it is shown only now, keep "
        "it. More keys: `idgraph keys create`."
    )
    print(f"admin key: {key.token}", flush=True)
    console.print(
        f"  curl -H 'Authorization: Bearer {key.token}' {url}/graphql -d ...\n"
        f"  or sign in to GraphiQL at {url}/auth/sign-in"
    )


cli.add_typer(keys_cli, name="keys")


# Access and privacy (app/privacy/cli.py)
cli.command()(privacy_cli.erase)
cli.command("subject-access")(privacy_cli.subject_access)
cli.command()(privacy_cli.audit)
cli.command("purge-quarantine")(privacy_cli.purge_quarantine)
cli.command()(store_cli.stop)
cli.command()(store_cli.settle)
cli.command("export-neo4j-import")(store_cli.export_neo4j_import)
cli.command("cypher")(store_cli.cypher_prompt)


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


def _print_summaries(rows: list[dict[str, object]]) -> None:
    from app.ingestion.advice import absent_advice, advice

    table = Table(
        "file", "kind", "read", "loaded", "quarantined", "fields blanked", "seconds", "rows/s"
    )
    for r in rows:
        table.add_row(
            Path(str(r["file"])).name,
            str(r["kind"]),
            f"{r['rows_read']:,}",
            f"{r['rows_loaded']:,}",
            f"{r['rows_quarantined']:,}",
            f"{r['fields_blanked']:,}",
            f"{r['seconds']:.2f}",
            f"{r['rows_per_second']:,.0f}",
        )
    Console().print(table)
    same = [Path(str(r["file"])).name for r in rows if r.get("unchanged")]
    if same:
        console.print(
            f"unchanged since their last load, nothing written: {', '.join(same)} "
            "(the counts are that load's)"
        )
    for r in rows:
        if r.get("completed"):
            console.print(
                f"{Path(str(r['file'])).name}: completed an interrupted load ({r['completed']})"
            )
        if r["quarantine_file"]:
            console.print(
                f"quarantined rows and blanked fields of {Path(str(r['file'])).name}: "
                f"{r['quarantine_file']}"
            )
    for r in rows:
        name = Path(str(r["file"])).name
        absent = cast(dict[str, str], r.get("absent_columns") or {})
        ignored = cast(list[str], r.get("ignored_columns") or [])
        blanked = cast(list[dict[str, Any]], r.get("blanked_columns") or [])
        for line in absent_advice(name, absent, ignored) + advice(
            name, int(str(r["rows_read"])), blanked
        ):
            console.print(line, style="yellow", markup=False, soft_wrap=True)


def main() -> None:
    try:
        cli()
    except IdGraphError as exc:
        console.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise SystemExit(2) from exc
