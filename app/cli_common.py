"""What every command module shares: the console messages go to, and who makes a change."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)


def cli_actor(actor: str | None) -> str:
    """Who makes a change from the command line: --actor, else cli:<login name>."""
    import getpass

    return actor.strip() if actor and actor.strip() else f"cli:{getpass.getuser()}"


def name_values(items: list[str], what: str = "field=value") -> list[tuple[str, str]]:
    """`name=value` arguments as (name, value) pairs; one without `=` is refused, named."""
    import typer

    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r} is not {what}")
        pairs.append((name.strip(), value))
    return pairs


ACTOR_HELP = "who makes the change, for the audit trail (default cli:$USER)"
FULL_HELP = (
    "read every input and compare, even if nothing has written since the last run (after an "
    "edit made outside identity-graph)"
)
