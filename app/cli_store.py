"""The store's own commands (app/cli.py registers them): `idgraph stop`, the embedded
store's server stopped now; `idgraph settle`, the embedded
store's graph reloaded in its running server after bulk work (docs/architecture.md, "Writes
after bulk work"); `idgraph export-neo4j-import`; `idgraph cypher`, read-only Cypher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli_common import console
from app.settings import get_settings


def stop() -> None:
    """Stop the embedded store's server now, unless another process uses it (a command's
    server otherwise stays up IDGRAPH_STORE_LINGER_S after the last one): to free its
    memory, or before copying or moving the data folder."""
    from app.store import open_store
    from app.store.falkordb import FalkorStore
    from app.store.falkordb_process import alive, registered_pid, wait_until_gone

    settings = get_settings()
    pid = registered_pid(settings.falkordb_file) if settings.store == "falkordb" else None
    if pid is None or not alive(pid):
        console.print(f"no server runs on {settings.data_dir}: nothing to stop")
        return
    store = open_store(settings.model_copy(update={"store_linger_s": 0}))
    assert isinstance(store, FalkorStore)
    with store:
        others = store.others_connected()
    if others:
        console.print(
            f"the server (pid {pid}) is in use by {others} other connection(s), such as "
            "`idgraph serve`: left running"
        )
        raise typer.Exit(1)
    wait_until_gone(pid, settings.query_timeout_s)
    console.print(f"stopped the server (pid {pid}); its files are saved")


def settle() -> None:
    """Reload the embedded graph in the server `idgraph serve` runs, so that its small
    writes (real time) are as fast as after a restart. Every query waits meanwhile (about 5
    s a 100k records): run it after bulk work, when a pause suits."""
    from app.store import open_store

    settings = get_settings()
    with open_store(settings) as store:
        if store.backend != "falkordb":
            console.print(f"{store.backend}: nothing to do (only the embedded store needs it)")
            return
        seconds = store.settle()
    console.print(f"graph reloaded in {seconds:.1f} s")


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
