"""An account's attributes set in real time (app.accounts.update_account, GraphQL
updateAccount, `idgraph account`): the Account node changes, its holders' household's Group
DNA follows at once as a data change, and the alert rules see it."""

from __future__ import annotations

from datetime import date

import pytest

from app.accounts import update_account
from app.alerts.manage import define_rule
from app.errors import InputError
from app.households.dna import all_household_ids, compute_dna
from app.households.resolve import resolve_households
from app.privacy.playback import playback
from app.settings import Settings
from app.store import GraphStore

TODAY = date(2026, 1, 1)


def _household(store: GraphStore) -> dict:
    rows, _ = store.run_text(
        "MATCH (h:Household) RETURN h.householdId AS id, properties(h) AS p", write=False
    )
    assert len(rows) == 1
    return rows[0]


def _account(store: GraphStore) -> dict:
    rows, _ = store.run_text(
        "MATCH (a:Account {accountId: 'ACC'}) RETURN properties(a) AS p", write=False
    )
    return rows[0]["p"]


def test_a_plan_set_in_real_time_feeds_group_dna_and_alerts(
    people, store: GraphStore, settings: Settings
) -> None:
    """Two members share the account ACC, 2,000 MB used in March: no plan, so no ratio;
    a plan of 1,000 MB set: the household's plan and its usage against it (2.0) change as
    data, and a rule over 1.0 fires; the plan cleared: both are gone again."""
    usage = {"value": 2000.0, "type": "data_usage", "accountId": "ACC"}
    people.add("a1", "Moss", address="GB|LS1|1 elm st", accounts=[("ACC", "owner")], events=[usage])
    people.add("a2", "Moss", address="GB|LS1|1 elm st", accounts=[("ACC", "member")])
    resolve_households(store, settings, today=TODAY)
    compute_dna(store, settings, all_household_ids(store), today=TODAY)
    hid = _household(store)["id"]
    assert _household(store)["p"].get("dna_dataUsageVsPlan") is None
    define_rule(
        store,
        settings,
        {
            "name": "over",
            "metric": "dataUsageVsPlan",
            "label": "Household",
            "condition": "above",
            "threshold": 1.0,
        },
        "ana",
    )

    done = update_account(
        store, settings, "ACC", [("planMb", "1000"), ("product", "Fam 1GB")], "ops"
    )
    assert _account(store) == {"accountId": "ACC", "planMb": 1000, "product": "Fam 1GB"}
    assert (done.account_id, done.attributes, done.households) == (
        "ACC",
        {"accountId": "ACC", "planMb": 1000, "product": "Fam 1GB"},
        [hid],
    )
    changed = {c.metric: (c.previous, c.value, c.cause) for c in done.changes}
    assert changed == {"dataPlanMb": (None, 1000.0, "data"), "dataUsageVsPlan": (None, 2.0, "data")}
    assert done.alerts == 1
    dna = _household(store)["p"]
    assert (dna["dna_dataPlanMb"], dna["dna_dataUsageVsPlan"]) == (1000.0, 2.0)
    audit, _ = store.run_text(
        "MATCH (e:AuditEvent {action: 'updateAccount'}) RETURN e.actor AS actor", write=False
    )
    assert [r["actor"] for r in audit] == ["ops"]

    # the person's data playback shows the account as it now is
    (held,) = [s for s in playback(store, settings, "a1")["sources"] if s["customerId"] == "crm:a1"]
    assert held["accounts"] == [
        {"accountId": "ACC", "role": "owner", "attributes": {"planMb": 1000, "product": "Fam 1GB"}}
    ]

    cleared = update_account(store, settings, "ACC", [("planMb", None)], "ops")
    assert _account(store) == {"accountId": "ACC", "product": "Fam 1GB"}
    assert {c.metric: c.value for c in cleared.changes} == {
        "dataPlanMb": None,
        "dataUsageVsPlan": None,
    }
    dna = _household(store)["p"]
    assert (dna.get("dna_dataPlanMb"), dna.get("dna_dataUsageVsPlan")) == (None, None)


def test_an_unknown_account_or_a_bad_name_is_refused(
    people, store: GraphStore, settings: Settings
) -> None:
    people.add("a1", "Moss", accounts=[("ACC", "owner")])
    with pytest.raises(InputError, match="no such account"):
        update_account(store, settings, "NOPE", [("planMb", "1")], "ops")
    with pytest.raises(InputError, match=r"\['9lives', 'accountId'\] are not usable"):
        update_account(store, settings, "ACC", [("9lives", "1"), ("accountId", "X")], "ops")
    with pytest.raises(InputError, match=r"\['planMb'\] given more than once"):
        update_account(store, settings, "ACC", [("planMb", "1"), ("planMb", "2")], "ops")
    too_long = f"attribute product: longer than {settings.max_field_length} chars"
    with pytest.raises(InputError, match=too_long):
        update_account(store, settings, "ACC", [("product", "x" * 100_000)], "ops")
    with pytest.raises(InputError, match="at least one"):
        update_account(store, settings, "ACC", [], "ops")
    assert _account(store) == {"accountId": "ACC"}
