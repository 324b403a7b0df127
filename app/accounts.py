"""An account's attributes changed in real time (a plan's data allowance, a product): the
flow `updateAccount` and `idgraph account` share. Batch loads set them from a mapping's
`accountAttributes` (docs/ingestion.md); this sets them on one account the graph holds and
brings the Group DNA that reads them up to date, with its alerts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.audit import record as audit
from app.errors import InputError
from app.households.dna import compute_dna
from app.ingestion.mapping import ATTRIBUTE_NAME, ATTRIBUTE_NAME_RULE
from app.ingestion.normalize import clean1, typed1
from app.ingestion.rows import raw_problem1
from app.metrics.changes import MetricChange
from app.settings import Settings
from app.store import GraphStore, marks
from app.values import check_key

MAX_ACCOUNT_ATTRIBUTES = 100  # attributes one update sets or clears


@dataclass
class AccountUpdate:
    account_id: str
    attributes: dict[str, Any]  # the account's attributes after the update
    households: list[str] = field(default_factory=list)  # whose Group DNA was recomputed
    changes: list[MetricChange] = field(default_factory=list)
    alerts: int = 0


def account_values(values: Sequence[tuple[str, str | None]], max_len: int) -> dict[str, Any]:
    """The values to set (name, value), by attribute name, typed as a mapping's
    `accountAttributes` are (numbers stay numbers: `5000` -> 5000); None (or a blank)
    removes the attribute. A name a mapping could not give, `accountId`, a name given twice,
    more than MAX_ACCOUNT_ATTRIBUTES, or a value a load would blank (a control character,
    longer than `max_len`: `raw_problem1`) are refused, named."""
    if not values:
        raise InputError("attributes: give at least one (name and value; a null value clears)")
    if len(values) > MAX_ACCOUNT_ATTRIBUTES:
        raise InputError(
            f"attributes: {len(values)} given; an update sets at most {MAX_ACCOUNT_ATTRIBUTES}"
        )
    names = [n for n, _ in values]
    twice = sorted(n for n, k in Counter(names).items() if k > 1)
    if twice:
        raise InputError(f"attribute(s) {twice} given more than once")
    bad = sorted(n for n in names if not ATTRIBUTE_NAME.match(n) or n == "accountId")
    if bad:
        raise InputError(
            f"attribute name(s) {bad} are not usable: {ATTRIBUTE_NAME_RULE} (not accountId, "
            "the account's key)"
        )
    for name, value in values:
        if problem := raw_problem1(value, max_len):
            raise InputError(f"attribute {name}: {problem}")
    return {name: typed1(value) for name, value in values}


def attributes_of(pairs: Iterable[Sequence[Any]] | None) -> dict[str, Any]:
    """An account's attributes as the graph's reads give them ([name, value] pairs:
    cypher/api_customer_accounts.cypher), by name in name order."""
    return dict(sorted((str(k), v) for k, v in pairs or []))


@marks.unit_of_work
def update_account(
    store: GraphStore,
    settings: Settings,
    account_id: str,
    values: Sequence[tuple[str, str | None]],
    actor: str,
) -> AccountUpdate:
    """Set (or, given None, remove) attributes, given as (name, value), of an account the
    graph holds; then the Group DNA of the households its holders' profiles belong to is
    recomputed (dataPlanMb, dataUsageVsPlan, ...), its changes go to the alert rules as data
    changes, and the update is audited under `actor`. An unknown account is refused:
    accounts come with the records that hold them."""
    from app.flows import pass_to_alerts  # (app.flows imports much; this flow needs one)

    key = clean1(account_id)
    check_key("accountId", key or "", settings.max_field_length)
    props = account_values(values, settings.max_field_length)
    found = store.read_one("account_holders", accountId=key)
    if found is None:
        raise InputError(f"accountId {key!r}: the graph has no such account")
    before = dict(found["props"] or {})
    store.write("set_account_attributes", rows=[{"accountId": key, "props": props}])
    after = {k: v for k, v in {**before, **props}.items() if v is not None}
    profiles = sorted(str(p) for p in found["profileIds"] if p)
    rows = store.read("household_of_profiles", ids=profiles) if profiles else []
    households = sorted({str(r["householdId"]) for r in rows})
    changes = compute_dna(store, settings, households) if households else []
    customers = sorted(str(c) for c in found["customerIds"] if c)
    audit(
        store,
        actor,
        "updateAccount",
        "",
        {k: before.get(k) for k in props},
        props,
        customers,
        profiles,
        [f"account:{key}"],
    )
    alerts = pass_to_alerts(store, settings, changes)
    return AccountUpdate(str(key), after, households, changes, alerts)
