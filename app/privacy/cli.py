"""`idgraph erase | subject-access | audit | purge-quarantine` (app/cli.py registers them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from app.cli_common import ACTOR_HELP, cli_actor, console
from app.settings import get_settings


def erase(
    profile: Annotated[str | None, typer.Option(help="the person's profile id")] = None,
    customer: Annotated[
        str | None, typer.Option(help="or one of their records' customerId")
    ] = None,
    reason: Annotated[str, typer.Option(help="a request reference (kept; no personal data)")] = "",
    yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False,
    actor: Annotated[str | None, typer.Option(help=ACTOR_HELP)] = None,
) -> None:
    """Erase a person: every record across merged profiles and all derived from them, and
    keep a later load of an old file from bringing them back (docs/security.md)."""
    import json as _json

    from app.privacy.erasure import erase_person
    from app.store import open_store

    if not yes:
        typer.confirm(f"Erase {profile or customer} for good?", abort=True)
    settings = get_settings()
    with open_store(settings) as store:
        done = erase_person(store, settings, cli_actor(actor), reason, profile, customer)
    Console().print_json(_json.dumps(done.as_dict()))


def subject_access(
    profile: Annotated[str | None, typer.Option(help="the person's profile id")] = None,
    customer: Annotated[
        str | None, typer.Option(help="or one of their records' customerId")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the JSON here (default: stdout)")] = None,
    html: Annotated[Path | None, typer.Option(help="also write the readable page here")] = None,
) -> None:
    """Everything held about a person, as JSON (and a page): a subject-access request."""
    import getpass
    import json as _json

    from app.audit import record as audit
    from app.privacy.playback import page, playback, profile_of_customer
    from app.store import open_store

    if (profile is None) == (customer is None):
        raise typer.BadParameter("give exactly one of --profile or --customer")
    settings = get_settings()
    with open_store(settings) as store:
        pid = profile or profile_of_customer(store, str(customer))
        doc = playback(store, settings, pid)
        who = f"cli:{getpass.getuser()}"
        found = doc["profile"]["profileId"]
        after = {"fields": ["all"], "profiles": [found]}
        audit(store, who, "readPII", "subject access", None, after, [], [found])
    text = _json.dumps(doc, indent=1, ensure_ascii=False)
    if out is None:
        print(text)
    else:
        out.write_text(text, encoding="utf-8")
    if html is not None:
        html.write_text(page(doc, out.name if out else "#"), encoding="utf-8")


def audit(
    entity: Annotated[
        str | None, typer.Option(help="a record, profile (with its records), metric:<name>...")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="only changes by this actor")] = None,
    action: Annotated[
        list[str] | None,
        typer.Option(help="only this action, e.g. splitCustomer (repeat for several)"),
    ] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 date or date-time (UTC)")] = None,
    limit: Annotated[int, typer.Option(help="newest this many")] = 50,
) -> None:
    """The audit trail, newest first, as JSON: who changed what, when, why, before and after
    (the same reading as GraphQL auditTrail)."""
    import json as _json

    from app.audit import TrailFilter, trail
    from app.store import open_store

    where = TrailFilter(entity, actor, since, tuple(action) if action else None)
    events: list[dict[str, object]] = []
    with open_store(get_settings()) as store:
        store.setup_schema()
        after = None
        while True:
            page = trail(store, where, min(limit - len(events), 100), after)
            events += [
                {**e.__dict__, "before": _loads(e.before), "after": _loads(e.after)}
                for e in page.events
            ]
            if not page.has_next or len(events) >= limit or not page.events:
                break
            after = (page.events[-1].at_us, page.events[-1].audit_id)
    Console().print_json(_json.dumps({"totalCount": page.total, "events": events}))


def _loads(text: str | None) -> object:
    import json as _json

    try:
        return None if text is None else _json.loads(text)
    except ValueError:
        return text


def purge_quarantine() -> None:
    """Drop raw values from quarantine lines older than IDGRAPH_QUARANTINE_RETENTION_DAYS."""
    from app.privacy.quarantine import purge_expired

    settings = get_settings()
    done = purge_expired(settings)
    console.print(
        f"{done.lines:,} lines in {done.files:,} files past "
        f"{settings.quarantine_retention_days:g} days lost their raw values"
    )
