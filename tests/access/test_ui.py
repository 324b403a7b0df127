"""The pages over HTTP by role (app/api/ui.py), on the access tests' town: what each role's
360 shows and leaves out, acknowledging an alert, and the desk's form actions refused to
everyone but stewards. The browser tests (tests/api/test_pages_browser.py) follow a day."""

from __future__ import annotations

from tests.access.conftest import ROLES


def _fire(town, alert_id: str, profile_id: str) -> None:
    town.inner.run_text(
        "MATCH (p:Profile {profileId: $pid}) CREATE (a:Alert {alertId: $id, entityId: $pid, "
        "status: 'open', rule: 'spendDrop', label: 'Spend dropped', metric: 'spend30d', "
        "message: 'spend30d fell below 10', firedAt: '2026-01-01T00:00:00Z', "
        "firedAtMs: 1767225600000})-[:ABOUT]->(p)",
        {"id": alert_id, "pid": profile_id},
        write=True,
    )


async def _get(client, path: str):
    return await client.client.get(path, headers=client.headers)


async def test_an_agent_acknowledges_an_alert_on_the_360(as_role, town) -> None:
    _fire(town, "AL-ui-1", "a1")
    agent = as_role("support")
    page = await _get(agent, "/ui/profiles/a1")
    assert page.status_code == 200
    assert "Open alerts <small>(1)</small>" in page.text and "Spend dropped" in page.text
    assert 'hx-post="/ui/alerts/AL-ui-1/acknowledge"' in page.text
    done = await agent.client.post("/ui/alerts/AL-ui-1/acknowledge", headers=agent.headers)
    assert done.status_code == 200 and "acknowledged by key:key-support" in done.text
    again = await _get(agent, "/ui/profiles/a1")
    assert "Open alerts <small>(0)</small>" in again.text


async def test_only_agents_and_admins_acknowledge(as_role, town) -> None:
    _fire(town, "AL-ui-2", "a2")
    for role in ROLES:
        client = as_role(role)
        answer = await client.client.post("/ui/alerts/AL-ui-2/acknowledge", headers=client.headers)
        if role in ("support", "admin"):
            assert answer.status_code == 200, (role, answer.text)
        else:
            assert answer.status_code == 403, role


async def test_the_360_shows_each_role_what_it_may_read(as_role) -> None:
    agent = (await _get(as_role("support"), "/ui/profiles/b1")).text
    steward = (await _get(as_role("steward"), "/ui/profiles/b1")).text
    marketer = (await _get(as_role("marketer"), "/ui/profiles/b1")).text
    # The agent: records, identifiers, timeline, alerts; no match evidence or graph.
    assert "b1@kowalski.example" in agent and 'id="tl-title"' in agent
    assert 'id="cluster"' not in agent and 'id="alerts-title"' in agent
    # The steward: also the cluster graph and split buttons.
    assert 'id="cluster"' in steward and "Split crm:b1 out of this profile" in steward
    # The marketer: masked golden values, no records, no alerts, no dial.
    assert "Kowalski" not in marketer and "b1@kowalski.example" not in marketer
    assert "data-record" not in marketer and 'id="dial"' not in marketer
    assert 'id="alerts-title"' not in marketer


async def test_desk_actions_are_for_stewards_only(as_role) -> None:
    form = {"action": "reject", "a": "crm:a1", "b": "crm:a2", "reason": "r"}
    for role in ROLES:
        client = as_role(role)
        answer = await client.client.post("/ui/desk/act", data=form, headers=client.headers)
        assert (answer.status_code == 403) is (role not in ("steward", "admin")), role


async def test_a_steward_rejects_a_pair_from_the_desk_form(as_role, town) -> None:
    steward = as_role("steward")
    form = {"action": "reject", "a": "crm:a1", "b": "crm:a2", "reason": "siblings"}
    answer = await steward.client.post("/ui/desk/act", data=form, headers=steward.headers)
    assert answer.status_code == 200 and "rejected crm:a1 crm:a2" in answer.text
    assert answer.headers["HX-Trigger"] == "decided"
    pair = await _get(steward, "/ui/desk/pair?a=crm:a1&b=crm:a2")
    assert pair.status_code == 200 and "rejected" in pair.text


async def test_a_browser_at_the_root_lands_on_its_pages(as_role) -> None:
    for role, where in (("support", "/ui"), ("marketer", "/ui"), ("self", "/me")):
        client = as_role(role)
        answer = await client.client.get("/", headers={**client.headers, "Accept": "text/html"})
        assert (answer.status_code, answer.headers["location"]) == (307, where), role
    api = as_role("support")
    answer = await api.client.get("/", headers=api.headers)
    assert answer.headers["location"] == "/graphql"


async def test_the_360_shows_what_a_mapping_declared_and_kept_for_each_record(
    as_role, town
) -> None:
    """An agent reads a record's declared identifiers and attributes by type and name; an
    analyst, who may read records but not personal data, their masks."""
    town.inner.run_text(
        "MATCH (c:Customer {customerId: 'crm:a1'}) SET c.attr_segment = 'gold', "
        "c.attr_occupation = 'Painter', c.id_nationalId = '123456789'",
        write=True,
    )
    agent = (await _get(as_role("support"), "/ui/profiles/a1")).text
    assert '<p class="identifiers">nationalId: 123456789</p>' in agent
    assert '<p class="attributes">occupation: Painter · segment: gold</p>' in agent
    analyst = (await _get(as_role("analyst"), "/ui/profiles/a1")).text
    assert '<p class="identifiers">nationalId: ***</p>' in analyst
    assert '<p class="attributes">occupation: *** · segment: ***</p>' in analyst
    assert "Painter" not in analyst and "123456789" not in analyst


async def test_the_360_shows_an_accounts_plan(as_role, town, town_settings) -> None:
    """The Mosses' account MOSS gets a plan (updateAccount's flow): the agent's 360 of its
    owner lists it with the account."""
    from app.accounts import update_account

    before = (await _get(as_role("support"), "/ui/profiles/a1")).text
    assert "<li>account MOSS (owner)</li>" in before
    update_account(town.inner, town_settings, "MOSS", [("planMb", "5000")], "ops")
    after = (await _get(as_role("support"), "/ui/profiles/a1")).text
    assert "<li>account MOSS (owner) · planMb 5000</li>" in after
