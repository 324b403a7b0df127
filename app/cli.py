"""Command line: `idgraph ...`."""

import typer

cli = typer.Typer(no_args_is_help=True, add_completion=False)


@cli.command()
def version() -> None:
    """Print the version."""
    from app import __version__

    typer.echo(__version__)


def main() -> None:
    cli()
