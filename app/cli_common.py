"""What every command module shares: the console messages go to, and who makes a change."""

from __future__ import annotations

from rich.console import Console

console = Console(stderr=True)


def cli_actor(actor: str | None) -> str:
    """Who makes a change from the command line: --actor, else cli:<login name>."""
    import getpass

    return actor.strip() if actor and actor.strip() else f"cli:{getpass.getuser()}"


ACTOR_HELP = "who makes the change, for the audit trail (default cli:$USER)"
FULL_HELP = (
    "read every input and compare, even if nothing has written since the last run (after an "
    "edit made outside identity-graph)"
)
