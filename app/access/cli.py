"""`idgraph keys create | list | revoke` (app/cli.py registers them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli_common import ACTOR_HELP, cli_actor, console
from app.settings import Settings, get_settings

if TYPE_CHECKING:
    from app.access.roles import Roles

keys_cli = typer.Typer(no_args_is_help=True, help="API keys for services: create, list, revoke.")


def _roles(settings: Settings) -> Roles:
    from app.access.roles import Roles

    return Roles.configured(settings.roles, settings.role_names)


@keys_cli.command("create")
def keys_create(
    name: Annotated[
        str, typer.Option(help="who or what uses it, e.g. crm-sync (the audit's actor)")
    ],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="support, steward, marketer, analyst, admin, "
            "self, source or a configured role; repeatable",
        ),
    ],
    days: Annotated[float | None, typer.Option(help="expires after this many days")] = None,
    customer: Annotated[
        str | None, typer.Option(help="role self: the person's customerId, e.g. crm:CRM-1")
    ] = None,
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Make an API key; its secret is printed once (only its hash is stored)."""
    from app.access.keys import create_key
    from app.audit import record as audit
    from app.store import open_store

    settings = get_settings()
    who = cli_actor(actor)
    with open_store(settings) as store:
        store.setup_schema()
        key = create_key(
            store, _roles(settings), name, role, days or settings.api_key_days, who, customer
        )
        after: dict[str, object] = {"keyId": key.key_id, "name": key.name}  # no secret
        after |= {"roles": list(key.roles), "expiresAt": key.expires_at, "customerId": customer}
        audit(store, who, "createKey", "", None, after, other_ids=[key.key_id])
    console.print(
        f"key {key.key_id} for {key.name} ({', '.join(key.roles)}), expires {key.expires_at}; "
        "shown only now:"
    )
    print(key.token)


@keys_cli.command("list")
def keys_list() -> None:
    """Every key: id, name, roles, created, expiry, revoked (never the secret)."""
    from app.access.keys import list_keys
    from app.store import open_store

    with open_store(get_settings()) as store:
        store.setup_schema()
        found = list_keys(store)
    table = Table("key", "name", "roles", "created", "expires", "revoked", "customer")
    for k in found:
        table.add_row(
            k.key_id,
            k.name,
            ", ".join(k.roles),
            k.created_at or "",
            k.expires_at or "",
            k.revoked_at or "",
            k.customer_id or "",
        )
    Console().print(table)


@keys_cli.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key's id (idgraph keys list)")],
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Revoke a key: its next request is refused, and its sessions end."""
    from app.access.keys import revoke_key
    from app.audit import record as audit
    from app.store import open_store

    who = cli_actor(actor)
    with open_store(get_settings()) as store:
        found = revoke_key(store, key_id, who)
        if found:
            audit(store, who, "revokeKey", "", None, {"revoked": True}, other_ids=[key_id])
    if not found:
        raise typer.BadParameter(f"no key {key_id!r} (see `idgraph keys list`)")
    console.print(f"key {key_id} revoked")
